// Runs in the browser, inlined into report.html after the Chart.js UMD bundle: turns the chart specs
// built by charts.ts (embedded as JSON) into charts. Plain script, no modules, no network.
(() => {
  const Chart = window.Chart;
  if (typeof Chart !== "function") throw new Error("Chart.js did not load");

  const specs = JSON.parse(document.getElementById("chart-specs").textContent);

  const number = (digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const FMT = [number(0), number(1), number(2)];
  const format = {
    rps: (v) => FMT[Math.abs(v) >= 100 || v === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2].format(v),
    ms: (v) => FMT[Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2].format(v),
    cores: (v) => FMT[2].format(v),
    count: (v) => FMT[0].format(v),
  };
  // Tick labels: no trailing zeros ("70", "0.5", "1,200").
  const tick = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  const unit = { rps: " req/s", ms: " ms", cores: "", count: "" };

  // Reference lines (SLO, knee, capacity, target), keyed by canvas id: a vertical line at an x value
  // or a horizontal one at a y value, dashed, with a label at its end.
  const refLinesById = new Map(specs.map((s) => [s.id, s.refLines]));
  const refLinesPlugin = {
    id: "refLines",
    afterDatasetsDraw(chart) {
      const lines = refLinesById.get(chart.canvas.id) || [];
      const { ctx, chartArea } = chart;
      const xScale = chart.scales.x;
      const yScale = chart.scales.y;
      ctx.save();
      ctx.font = "600 11px system-ui, sans-serif";
      for (const line of lines) {
        const scale = line.axis === "x" ? xScale : yScale;
        if (!scale) continue;
        const pixel = scale.getPixelForValue(line.value);
        const inside =
          line.axis === "x" ? pixel >= chartArea.left && pixel <= chartArea.right : pixel >= chartArea.top && pixel <= chartArea.bottom;
        if (!Number.isFinite(pixel) || !inside) continue;
        ctx.strokeStyle = line.color;
        ctx.fillStyle = line.color;
        ctx.lineWidth = 1.5;
        ctx.setLineDash(line.dashed ? [6, 4] : []);
        ctx.beginPath();
        if (line.axis === "x") {
          ctx.moveTo(pixel, chartArea.top);
          ctx.lineTo(pixel, chartArea.bottom);
        } else {
          ctx.moveTo(chartArea.left, pixel);
          ctx.lineTo(chartArea.right, pixel);
        }
        ctx.stroke();
        ctx.setLineDash([]);
        if (line.axis === "x") {
          const width = ctx.measureText(line.label).width;
          const rightSide = pixel + 4 + width <= chartArea.right;
          ctx.textAlign = rightSide ? "left" : "right";
          ctx.textBaseline = "top";
          ctx.fillText(line.label, rightSide ? pixel + 4 : pixel - 4, chartArea.top + 4);
        } else {
          // Left end: vertical-line labels sit at the top right of their line, so the two rarely meet.
          ctx.textAlign = "left";
          ctx.textBaseline = "bottom";
          ctx.fillText(line.label, chartArea.left + 4, pixel - 3);
        }
      }
      ctx.restore();
    },
  };

  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.color = "#374151";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  let rendered = 0;
  for (const spec of specs) {
    const canvas = document.getElementById(spec.id);
    if (!canvas) throw new Error(`no canvas for chart ${spec.id}`);
    const config = spec.config;
    for (const axis of Object.keys(spec.axisFormats)) {
      const scale = config.options.scales?.[axis];
      if (!scale) continue;
      scale.ticks = { ...scale.ticks, callback: (value) => tick.format(Number(value)) };
      // Log scales label every minor tick by default: keep 1-2-5 steps only.
      if (scale.type === "logarithmic") {
        scale.ticks.callback = (value) => {
          const v = Number(value);
          const lead = v / 10 ** Math.floor(Math.log10(v));
          return [1, 2, 5].some((d) => Math.abs(lead - d) < 1e-9) ? tick.format(v) : "";
        };
      }
    }
    const valueAxis = config.options.indexAxis === "y" ? "x" : "y";
    config.options.plugins.tooltip = {
      callbacks: {
        label(context) {
          const dataset = context.dataset;
          const raw = context.parsed[valueAxis];
          if (raw === null || raw === undefined) return null;
          const kind = spec.axisFormats[dataset.yAxisID || valueAxis] || "count";
          return `${dataset.label}: ${format[kind](raw)}${unit[kind]}`;
        },
      },
    };
    config.options.responsive = true;
    config.plugins = [refLinesPlugin];
    new Chart(canvas, config);
    rendered += 1;
  }
  window.__chartsRendered = rendered;
})();
