// The creator page: upload or ask for a remix, watch each job's progress, play and download
// what it made. Server text is only ever set as textContent (never parsed as HTML).
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const polling = new Map();  // processing id -> timer

function say(text) { $("#message").textContent = text || ""; }

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401) { $("#key-box").hidden = false; }
  let body = null;
  try { body = await response.json(); } catch (_) { /* a file, or no body */ }
  if (!response.ok) { throw new Error((body && body.detail) || `HTTP ${response.status}`); }
  return body;
}

// -- jobs ---------------------------------------------------------------------------------
function jobCard(id) {
  let card = document.getElementById(id);
  if (!card) {
    card = $("#job-template").content.firstElementChild.cloneNode(true);
    card.id = id;
    $(".delete", card).addEventListener("click", () => deleteJob(id));
    $("#jobs").prepend(card);
  }
  return card;
}

function label(job) {
  const p = job.params || {};
  if (job.kind === "shorts") { return `Shorts of ${p.file_name || job.partition}`; }
  return `${job.kind === "faceless" ? "Faceless" : "Remix"}: ${p.topic || p.story || job.partition}`;
}

function show(job) {
  const card = jobCard(job.processing_id);
  $(".title", card).textContent = label(job);
  const state = $(".state", card);
  state.textContent = job.status;
  state.className = `state ${job.status}`;
  $("progress", card).value = job.progress_percentage || 0;
  $(".percent", card).textContent = `${Math.round(job.progress_percentage || 0)}%`;
  $(".step", card).textContent = job.current_step ? `(${job.current_step})` : "";
  $(".error", card).textContent = job.error || "";
  if (job.outputs) { showOutputs(card, job.outputs); }
}

function showOutputs(card, outputs) {
  const clips = $(".clips", card);
  if (clips.dataset.shown) { return; }
  clips.dataset.shown = "1";
  for (const clip of outputs.clips) {
    const box = document.createElement("div");
    box.className = "clip";
    if (clip.video_url) {
      const video = document.createElement("video");
      video.controls = true;
      video.preload = "metadata";
      video.src = clip.video_url;
      if (clip.poster_url) { video.poster = clip.poster_url; }
      box.append(video);
      const link = document.createElement("a");
      link.href = clip.video_url;
      link.textContent = `Download ${clip.filename}`;
      link.setAttribute("download", clip.filename);
      box.append(link);
    }
    const title = document.createElement("p");
    title.textContent = clip.title ? `${clip.index}. ${clip.title}` : `Variant ${clip.index}`;
    box.append(title);
    const checks = document.createElement("ul");
    checks.className = "checks";
    for (const [name, check] of Object.entries(clip.checks || {})) {
      const item = document.createElement("li");
      const passed = typeof check === "object" ? check.passed : check;
      item.className = passed ? "pass" : "fail";
      item.textContent = name.replaceAll("_", " ");
      if (check.description) { item.title = check.description; }
      checks.append(item);
    }
    box.append(checks);
    clips.append(box);
  }
  const list = $(".captions", card);
  for (const caption of outputs.captions) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = caption.url;
    link.textContent = caption.filename;
    link.setAttribute("download", caption.filename);
    item.append(link, ` (${caption.format}${caption.language ? ", " + caption.language : ""}, ${caption.timing})`);
    list.append(item);
  }
}

function watch(id) {
  if (polling.has(id)) { return; }
  const tick = async () => {
    try {
      const job = await api(`/api/status/${encodeURIComponent(id)}`);
      show(job);
      if (["completed", "failed", "canceled"].includes(job.status)) {
        clearInterval(polling.get(id));
        polling.delete(id);
      }
    } catch (error) { say(error.message); }
  };
  polling.set(id, setInterval(tick, 2000));
  tick();
}

async function deleteJob(id) {
  try {
    await api(`/api/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
    clearInterval(polling.get(id));
    polling.delete(id);
    document.getElementById(id)?.remove();
  } catch (error) { say(error.message); }
}

async function loadJobs() {
  try {
    const { jobs } = await api("/api/jobs");
    for (const job of jobs.reverse()) { jobCard(job.processing_id); watch(job.processing_id); }
  } catch (error) { say(error.message); }
}

// -- upload -------------------------------------------------------------------------------
function upload(form) {
  const file = $("#file").files[0];
  if (!file) { say("Choose or drop a video first."); return; }
  const data = new FormData(form);
  const bar = $("#upload-progress");
  const request = new XMLHttpRequest();  // fetch() cannot report upload progress
  request.open("POST", "/api/upload-video");
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) { bar.value = (100 * event.loaded) / event.total; }
  };
  request.onload = () => {
    bar.hidden = true;
    let body = {};
    try { body = JSON.parse(request.responseText); } catch (_) { /* not JSON */ }
    if (request.status === 401) { $("#key-box").hidden = false; }
    if (request.status !== 202) { say(body.detail || `upload failed (HTTP ${request.status})`); return; }
    say("");
    watch(body.processing_id);
  };
  request.onerror = () => { bar.hidden = true; say("upload failed: the connection was closed"); };
  bar.hidden = false;
  bar.value = 0;
  request.send(data);
}

function setupDrop() {
  const drop = $("#drop");
  const input = $("#file");
  const named = () => { $("#drop-text").textContent = input.files[0] ? input.files[0].name : "Drop a video here, or click to choose one"; };
  input.addEventListener("change", named);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; named(); }
  });
}

// -- wiring -------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  setupDrop();
  $("#upload-form").addEventListener("submit", (e) => { e.preventDefault(); upload(e.target); });
  $("#remix-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { topic: f.get("topic"), mode: f.get("mode"),
                   aspect_ratio: f.get("aspect_ratio"), length: Number(f.get("length")) };
    try {
      const job = await api("/api/remix", { method: "POST", body: JSON.stringify(body),
                                            headers: { "Content-Type": "application/json" } });
      say("");
      watch(job.processing_id);
    } catch (error) { say(error.message); }
  });
  $("#key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/api/session", { method: "POST", headers: { "Content-Type": "application/json" },
                                  body: JSON.stringify({ key: $("#key").value }) });
      $("#key-box").hidden = true;
      say("");
      loadJobs();
    } catch (error) { say(error.message); }
  });
  loadJobs();
});
