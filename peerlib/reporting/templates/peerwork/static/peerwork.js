/* peerwork: draws every chart of the page once plotly.js is unpacked.
   plotly.js is stored in the page gzip-compressed and base85-encoded (element
   #peerwork-plotly-js; alphabet and byte count in its data- attributes); the browser's
   DecompressionStream unpacks it. Each chart's figure is JSON in a script element of
   type application/json and class peerwork-figure, whose data-target names the chart's
   box. */
(function () {
  "use strict";
  var CONFIG = { displayModeBar: false, displaylogo: false, responsive: true,
                 scrollZoom: false };

  function decode85(text, alphabet, length) {
    var table = new Uint8Array(128), i, j;
    for (i = 0; i < alphabet.length; i++) { table[alphabet.charCodeAt(i)] = i; }
    var groups = Math.floor(text.length / 5), out = new Uint8Array(groups * 4), o = 0;
    for (i = 0; i < groups * 5; i += 5) {
      var value = 0;
      for (j = 0; j < 5; j++) { value = value * 85 + table[text.charCodeAt(i + j)]; }
      out[o++] = Math.floor(value / 16777216) & 255;
      out[o++] = (value >>> 16) & 255;
      out[o++] = (value >>> 8) & 255;
      out[o++] = value & 255;
    }
    return out.subarray(0, length);
  }

  function fallback(message) {
    var plots = document.querySelectorAll(".peerwork-plot");
    for (var i = 0; i < plots.length; i++) {
      plots[i].classList.add("peerwork-chart-fallback");
      plots[i].style.height = "auto";
      plots[i].textContent = message;
    }
    var tables = document.querySelectorAll(".peerwork-chart-data");
    for (i = 0; i < tables.length; i++) { tables[i].classList.remove("peerwork-sr-only"); }
  }

  function loadPlotly() {
    if (window.Plotly) { return Promise.resolve(window.Plotly); }
    var store = document.getElementById("peerwork-plotly-js");
    if (!store) { return Promise.reject(new Error("plotly.js is missing from this page")); }
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser cannot unpack the charts"));
    }
    var bytes = decode85(store.textContent.replace(/\s+/g, ""),
                         store.getAttribute("data-alphabet"),
                         parseInt(store.getAttribute("data-length"), 10));
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(function (code) {
      var script = document.createElement("script");
      script.text = code;
      document.head.appendChild(script);
      return window.Plotly;
    });
  }

  function drawAll(Plotly) {
    var specs = document.querySelectorAll("script.peerwork-figure"), drawn = [];
    var themeScript = document.getElementById("peerwork-theme");
    var theme = themeScript ? themeScript.textContent : null;
    for (var i = 0; i < specs.length; i++) {
      var target = document.getElementById(specs[i].getAttribute("data-target"));
      if (!target) { continue; }
      var fig = JSON.parse(specs[i].textContent);
      var layout = fig.layout || {};
      // the theme's layout, stored once in the page (#peerwork-theme) for every chart
      if (theme && layout.template && layout.template.layout === "peerwork:shared-theme") {
        layout.template.layout = JSON.parse(theme);
      }
      layout.autosize = true;
      delete layout.width;
      drawn.push(Plotly.newPlot(target, fig.data || [], layout, CONFIG));
    }
    return Promise.all(drawn);
  }

  function start() {
    if (!document.querySelector("script.peerwork-figure")) { return; }
    loadPlotly().then(drawAll).then(function () {
      document.documentElement.setAttribute("data-peerwork-charts", "drawn");
    }, function (err) {
      fallback("This chart cannot be drawn here (" + err.message + "). The numbers it " +
               "shows are in the table below; opening the file in an up-to-date web " +
               "browser draws the chart.");
      document.documentElement.setAttribute("data-peerwork-charts", "failed");
    });
    /* No resizing for print: the page is at most 700 px wide on screen (A4's printable
       width), so a drawn chart already fits the paper; resizing at "beforeprint" would
       measure the screen layout, not the paper. */
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
