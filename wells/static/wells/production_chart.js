/* The well page's production chart (templates/wells/_production_chart.html, laid out on the
   server by wells/charts.py): a day's figures on hover, on tap and from the keyboard. Each day is
   a transparent column (rect.day) carrying its text; its <title> is the no-script fallback. */
(function () {
  "use strict";

  function start() {
    var svg = document.getElementById("production-chart");
    var tip = document.getElementById("production-chart-tip");
    if (!svg || !tip) return;
    var days = Array.prototype.slice.call(svg.querySelectorAll("rect.day"));
    var marker = svg.querySelector("g.day-marker");
    var holder = svg.parentNode;  // .chart-scroll: the tip is placed inside it (it scrolls with the chart)
    var current = -1;
    if (!days.length) return;

    function show(index) {
      current = Math.max(0, Math.min(days.length - 1, index));
      var day = days[current];
      var x = day.getAttribute("data-x");
      var ys = (day.getAttribute("data-y") || "").split(" ");
      marker.removeAttribute("display");
      marker.querySelector("line").setAttribute("x1", x);
      marker.querySelector("line").setAttribute("x2", x);
      Array.prototype.forEach.call(marker.querySelectorAll("circle"), function (c, i) {
        c.setAttribute("cx", x);
        c.setAttribute("cy", ys[i] || 0);
      });
      tip.textContent = day.getAttribute("data-label");
      tip.hidden = false;
      var box = day.getBoundingClientRect();
      var frame = holder.getBoundingClientRect();
      var svgBox = svg.getBoundingClientRect();
      var left = box.left + box.width / 2 - frame.left + holder.scrollLeft - tip.offsetWidth / 2;
      var min = holder.scrollLeft + 4;
      var max = holder.scrollLeft + holder.clientWidth - tip.offsetWidth - 4;
      tip.style.left = Math.max(min, Math.min(max, left)) + "px";
      tip.style.top = (svgBox.top - frame.top + holder.scrollTop + 28) + "px";
    }

    function hide() {
      marker.setAttribute("display", "none");
      tip.hidden = true;
    }

    days.forEach(function (day, index) {
      day.addEventListener("pointerenter", function () { show(index); });
      day.addEventListener("click", function () { show(index); });  // a tap
    });
    svg.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse" && document.activeElement !== svg) hide();
    });
    svg.addEventListener("focus", function () { show(current < 0 ? days.length - 1 : current); });
    svg.addEventListener("blur", hide);
    svg.addEventListener("keydown", function (event) {
      var step = {ArrowLeft: -1, ArrowRight: 1, Home: -days.length, End: days.length}[event.key];
      if (step === undefined) {
        if (event.key === "Escape") hide();
        return;
      }
      event.preventDefault();
      show((current < 0 ? days.length - 1 : current) + step);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
