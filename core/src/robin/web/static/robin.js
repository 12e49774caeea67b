// Robin's dashboard: the only script it runs (the Content-Security-Policy forbids inline
// script).  Three small jobs:
//  - ask before destructive actions: a button with data-confirm; once confirmed, the form
//    carries confirmed=1 (without JavaScript, the server shows a confirmation page);
//  - "select all" checkboxes (data-select-all="<form id>");
//  - the live graph: poll stats.json, draw processed/failed per second as SVG.
"use strict";

document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (!question) { return; }
  if (!window.confirm(question)) { event.preventDefault(); return; }
  var form = event.target;
  var flag = form.querySelector("input[name=confirmed]");
  if (!flag) {
    flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "confirmed";
    form.appendChild(flag);
  }
  flag.value = "1";
});

document.addEventListener("change", function (event) {
  var box = event.target;
  var form = box.getAttribute && box.getAttribute("data-select-all");
  if (!form) { return; }
  document.querySelectorAll('input[type=checkbox][form="' + form + '"]').forEach(function (other) {
    other.checked = box.checked;
  });
});

(function liveGraph() {
  var svg = document.getElementById("live-graph");
  if (!svg) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var WIDTH = 1000, HEIGHT = 200, KEEP = 60;
  var source = svg.getAttribute("data-src");
  var interval = parseInt(svg.getAttribute("data-interval"), 10) || 2000;
  var samples = [];   // {processed: rate, failed: rate}
  var previous = null;
  var format = new Intl.NumberFormat(undefined, {maximumFractionDigits: 1});

  function element(name, attributes, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function draw() {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var top = 1;
    samples.forEach(function (s) { top = Math.max(top, s.processed, s.failed); });
    var step = WIDTH / (KEEP - 1);
    svg.appendChild(element("line", {"class": "axis", "x1": 0, "x2": WIDTH, "y1": HEIGHT - 4, "y2": HEIGHT - 4}));
    ["processed", "failed"].forEach(function (key) {
      var points = samples.map(function (s, i) {
        var x = WIDTH - (samples.length - 1 - i) * step;
        var y = HEIGHT - 4 - (HEIGHT - 24) * s[key] / top;
        return x.toFixed(1) + "," + y.toFixed(1);
      });
      svg.appendChild(element("polyline", {"class": "line " + key, "points": points.join(" ")}));
    });
    svg.appendChild(element("text", {"x": 4, "y": 12, "class": "scale"}, "max " + format.format(top) + "/s"));
  }

  function update(data) {
    document.querySelectorAll("[data-stat]").forEach(function (node) {
      var value = data[node.getAttribute("data-stat")];
      if (typeof value === "number") { node.textContent = format.format(value); }
    });
    if (previous !== null && data.time > previous.time) {
      var seconds = data.time - previous.time;
      var rate = {
        processed: Math.max(0, data.processed - previous.processed) / seconds,
        failed: Math.max(0, data.failed - previous.failed) / seconds
      };
      samples.push(rate);
      if (samples.length > KEEP) { samples.shift(); }
      document.querySelectorAll("[data-live]").forEach(function (node) {
        node.textContent = rate[node.getAttribute("data-live")].toFixed(1);
      });
      draw();
    }
    previous = data;
    svg.setAttribute("data-samples", String(samples.length));
    svg.setAttribute("data-processed", String(data.processed));
  }

  function poll() {
    fetch(source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* the server is away: keep the graph, try again */ })
      .then(function () { window.setTimeout(poll, interval); });
  }
  draw();
  poll();
})();
