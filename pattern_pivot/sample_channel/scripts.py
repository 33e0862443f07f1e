"""The narration scripts of the sample channel: five topics, each in a few titled sections.

The topics are kept far apart in vocabulary (dough and ovens, inverters and kilowatt hours,
mileage and tapers, potting soil and pests, paychecks and debt) because their transcripts
double as ground truth for semantic-search precision tests. The voice is American, so the
spelling is too, and the text avoids numbers a transcriber would write as figures ("26.2"
for "twenty six point two"): the scripts are reference transcripts for word error rate tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from pattern_pivot.tts.text import sentences  # noqa: F401 - re-exported for the cards


@dataclass(frozen=True)
class Section:
    heading: str  # shown on screen, not spoken
    text: str


@dataclass(frozen=True)
class Script:
    slug: str
    topic: str
    title: str
    palette: tuple[str, str, str]  # gradient top, gradient bottom, accent
    sections: tuple[Section, ...]

    @property
    def text(self) -> str:
        """The whole narration: sections separated by a blank line."""
        return "\n\n".join(section.text for section in self.sections)


SCRIPTS: tuple[Script, ...] = (
    Script(
        slug="sourdough-bread",
        topic="sourdough bread baking",
        title="Sourdough Bread from Scratch",
        palette=("#7a4a22", "#2b1709", "#f2c078"),
        sections=(
            Section("Meet your starter",
                    "Welcome back to the kitchen. Today we are baking a simple sourdough loaf, "
                    "and it all begins with the starter. A starter is just flour and water that "
                    "has captured wild yeast and lactic acid bacteria. Feed it fresh flour and "
                    "water every day. When it doubles in the jar and smells pleasantly sour, it is "
                    "ready to raise your dough."),
            Section("Mix, stretch and fold",
                    "In a large bowl, combine strong bread flour, water and a spoonful of bubbly "
                    "starter. Let the shaggy mixture rest so the flour can hydrate. Then add salt "
                    "and begin a series of stretches and folds. Every half hour, lift one side of "
                    "the dough and fold it over itself. After four rounds, the gluten feels smooth "
                    "and elastic."),
            Section("Proof and shape",
                    "Now comes bulk fermentation. Cover the bowl and let the dough rise until it "
                    "is airy and bubbly at the edges. Tip it onto a floured counter, shape a tight "
                    "round loaf, and place it in a proofing basket dusted with rice flour. A slow "
                    "overnight proof in the fridge deepens the tangy flavor."),
            Section("Score and bake",
                    "Preheat the oven with a cast iron Dutch oven inside. Score the top of the "
                    "loaf with a razor blade so it can open into an ear, and bake it covered to "
                    "trap the steam. Remove the lid so the crust turns deep brown and crackly. Let "
                    "the loaf cool completely before slicing, because the crumb is still setting."),
        ),
    ),
    Script(
        slug="home-solar-power",
        topic="home solar power and batteries",
        title="Home Solar Power and Batteries",
        palette=("#f5a623", "#0b3d6b", "#ffe27a"),
        sections=(
            Section("From sunlight to current",
                    "Rooftop solar panels turn sunlight into electricity without any moving "
                    "parts. Each panel is made of photovoltaic cells that produce direct current "
                    "when photons strike the silicon. An inverter converts that direct current "
                    "into the alternating current your appliances use. On a cloudless summer "
                    "afternoon, a typical rooftop array can produce more power than the house "
                    "needs."),
            Section("Sizing the array",
                    "To size a system, look at a year of meter readings and find your average "
                    "daily use in kilowatt hours. Then study the roof. A sunny slope with no "
                    "shade from chimneys or trees harvests the most energy. Microinverters or "
                    "power optimizers help when part of the array is shaded in the afternoon. "
                    "Your installer will also check that the rafters can carry the racking."),
            Section("Storing the surplus",
                    "A home battery stores surplus energy from midday so you can run the lights "
                    "and the refrigerator after sunset. Most modern batteries use lithium iron "
                    "phosphate cells, which tolerate thousands of charge cycles. During a grid "
                    "outage, a battery with a backup gateway keeps essential circuits powered."),
            Section("Watch the monitoring app",
                    "Finally, keep an eye on the monitoring app. It shows how much the panels "
                    "generate, how much the house consumes, and how much flows back to the grid "
                    "through net metering. If production drops on a clear day, check for dirty "
                    "panels or a tripped breaker at the inverter."),
        ),
    ),
    Script(
        slug="marathon-training",
        topic="marathon training",
        title="Training for Your First Marathon",
        palette=("#d7263d", "#3a0b2e", "#ffd166"),
        sections=(
            Section("Build a base",
                    "A marathon is a long way to run, and the secret is patience. "
                    "Before you begin a training plan, build a base of easy running three or four "
                    "times a week. Easy means conversational pace. You should be able to chat "
                    "with a running partner without gasping for breath."),
            Section("The long run",
                    "The long run is the heart of marathon training. Every weekend, add a mile or "
                    "two to your longest run, and every few weeks step back so your legs can "
                    "absorb the work. Practice sipping from a bottle and swallowing energy gels "
                    "on these runs, so your stomach learns to handle fuel on the move."),
            Section("Speed and recovery",
                    "Once a week, add a tempo run or track intervals to raise your lactate "
                    "threshold. The other days stay slow. Sleep, stretching and a foam roller "
                    "help your muscles recover, and good running shoes reduce the risk of shin "
                    "splints and blisters. Listen to your body, and take an extra rest day "
                    "whenever a small ache turns into real pain."),
            Section("Taper and race day",
                    "Three weeks before the race, cut your mileage and taper so you reach the "
                    "start line fresh. On race day, start slower than you think you should, "
                    "settle into your goal pace, and grab a drink at every aid station. When you "
                    "cross the finish line, walk it off and enjoy your medal."),
        ),
    ),
    Script(
        slug="houseplant-care",
        topic="houseplant care",
        title="Keeping Houseplants Happy",
        palette=("#2d6a4f", "#081c15", "#b7e4c7"),
        sections=(
            Section("Read the light",
                    "Most houseplant problems start with light. Before you buy a plant, study "
                    "your windows for a day. A bright windowsill suits cacti and succulents, "
                    "while a fern or a peace lily prefers softer light a few steps back. Leggy "
                    "stems that stretch toward the glass mean the plant is hungry for light."),
            Section("Water wisely",
                    "Overwatering kills more houseplants than neglect. Push a finger into the "
                    "potting soil, and water only when the top inch feels dry. Always choose a "
                    "pot with a drainage hole, and empty the saucer so the roots never sit in "
                    "soggy soil, which leads to root rot and yellow leaves."),
            Section("Humidity and feeding",
                    "Tropical plants such as monsteras, calatheas and orchids love humidity. "
                    "Group them together on a pebble tray or mist the leaves in the morning. In "
                    "spring and summer, feed them a diluted liquid fertilizer every few weeks, "
                    "and wipe the dust from the foliage. Cut back on feeding in winter, when "
                    "growth slows down."),
            Section("Repotting and pests",
                    "When roots circle the bottom of the pot, repot into a container one size "
                    "larger with fresh potting mix. Check the undersides of the leaves for spider "
                    "mites, mealybugs and fungus gnats, and treat them early with insecticidal "
                    "soap or neem oil. Quarantine every new plant for a couple of weeks, so its "
                    "pests cannot spread to the rest of your collection."),
        ),
    ),
    Script(
        slug="personal-budgeting",
        topic="personal budgeting",
        title="A Personal Budget That Works",
        palette=("#5a189a", "#10002b", "#80ffdb"),
        sections=(
            Section("Know your numbers",
                    "A budget is simply a plan for every dollar you earn. Start by writing down "
                    "your monthly take home pay after taxes. Then gather three months of bank and "
                    "credit card statements, and list every expense, from rent and groceries to "
                    "streaming subscriptions. Budgeting apps can sort these transactions "
                    "automatically, but a simple spreadsheet works just as well."),
            Section("Needs, wants and savings",
                    "A popular rule of thumb splits your income into three buckets. Half goes to "
                    "needs like housing and insurance, a smaller share to wants like dining out, "
                    "and the rest to savings and paying down debt. Adjust the shares to fit your "
                    "life, but give every category a spending limit."),
            Section("Emergency fund and debt",
                    "Before investing, build an emergency fund that covers three to six months of "
                    "essential expenses, and keep it in a high yield savings account. Then attack "
                    "your debt. The avalanche method pays off the highest interest rate first, "
                    "while the snowball method clears the smallest balance first."),
            Section("Automate and review",
                    "Automate a transfer to savings on payday, so you pay yourself first. Once a "
                    "month, compare what you actually spent with your budget, and move money "
                    "between categories when life happens. Small habits, like canceling unused "
                    "memberships, add up to real financial freedom. Review your phone and "
                    "insurance plans once a year, because loyalty rarely earns the best price."),
        ),
    ),
)
