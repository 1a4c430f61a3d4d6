// Runs in the browser, inlined once into report.html: draws every .flamegraph figure that flamegraph.ts
// rendered, from the tree embedded in it as JSON. Frames are absolutely positioned divs (top-down: the
// root on top, callees below), their width a share of the zoomed frame's total time. Click a frame to
// zoom into it, an ancestor (or "Reset zoom") to zoom out; hover for the figures; search to highlight.
// Plain script, no modules, no network.
(() => {
  const ROW_PX = 18;
  // Frames narrower than this share of the zoomed frame are not drawn (nor their subtree): under a pixel.
  const MIN_SHARE = 0.0005;

  const number = (digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const FMT = [number(0), number(1), number(2)];
  const ms = (v) => `${FMT[v >= 100 ? 0 : v >= 10 ? 1 : 2].format(v)} ms`;
  const percent = (share) => `${FMT[share >= 0.1 ? 0 : 1].format(share * 100)}%`;

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function setUp(figure) {
    const data = JSON.parse(figure.querySelector(".fg-data").textContent);
    const root = data.tree;
    const frames = figure.querySelector(".fg-frames");
    const tooltip = figure.querySelector(".fg-tooltip");
    const search = figure.querySelector(".fg-search");
    const status = figure.querySelector(".fg-status");

    // Index every node (pre-order) and link it to its parent: zooming walks up, search walks all.
    const nodes = [];
    const index = (node, parent) => {
      node.parent = parent;
      node.index = nodes.length;
      nodes.push(node);
      for (const child of node.k || []) index(child, node);
    };
    index(root, null);

    let focus = root;
    let query = "";

    function addFrame(node, depth, left, width, ancestor) {
      const el = element("div", ancestor ? "fg-frame fg-ancestor" : "fg-frame", node.n);
      el.dataset.index = String(node.index);
      el.style.left = `${left * 100}%`;
      el.style.width = `${width * 100}%`;
      el.style.top = `${depth * ROW_PX}px`;
      el.style.backgroundColor = data.colors[node.c] || data.colors.other;
      frames.append(el);
    }

    function draw() {
      frames.replaceChildren();
      // The zoomed frame and its ancestors span the full width; its descendants share it by total time.
      const chain = [];
      for (let node = focus; node; node = node.parent) chain.unshift(node);
      chain.forEach((node, depth) => {
        addFrame(node, depth, 0, 1, node !== focus);
      });
      let deepest = chain.length - 1;
      const layout = (node, depth, left, width) => {
        let x = left;
        for (const child of node.k || []) {
          const w = node.v > 0 ? (width * child.v) / node.v : 0;
          if (w >= MIN_SHARE) {
            addFrame(child, depth + 1, x, w, false);
            deepest = Math.max(deepest, depth + 1);
            layout(child, depth + 1, x, w);
          }
          x += w;
        }
      };
      layout(focus, chain.length - 1, 0, 1);
      frames.style.height = `${(deepest + 1) * ROW_PX}px`;
      figure.classList.toggle("fg-zoomed", focus !== root);
      highlight();
    }

    function matches(node) {
      return query !== "" && node.n.toLowerCase().includes(query);
    }

    function highlight() {
      figure.classList.toggle("fg-searching", query !== "");
      for (const el of frames.children) el.classList.toggle("fg-match", matches(nodes[Number(el.dataset.index)]));
      if (query === "") {
        status.textContent = "";
        return;
      }
      // Time under matching frames, each counted once (a match inside a match is already in it).
      let count = 0;
      let total = 0;
      const visit = (node, inMatch) => {
        const hit = matches(node);
        if (hit) count += 1;
        if (hit && !inMatch) total += node.v;
        for (const child of node.k || []) visit(child, inMatch || hit);
      };
      visit(root, false);
      status.textContent =
        count === 0
          ? "no frame matches"
          : `${count} matching frame${count === 1 ? "" : "s"}: ${ms(total)}, ${percent(total / root.v)} of all`;
    }

    function showTooltip(node, event) {
      tooltip.replaceChildren(
        element("strong", null, node.n),
        element("div", "fg-tooltip-category", data.labels[node.c] || node.c),
        element("div", null, `total ${ms(node.v)} (${percent(root.v > 0 ? node.v / root.v : 0)} of all)`),
        element("div", null, `self ${ms(node.s)} (${percent(root.v > 0 ? node.s / root.v : 0)} of all)`),
      );
      tooltip.hidden = false;
      const box = figure.getBoundingClientRect();
      const x = event.clientX - box.left;
      const y = event.clientY - box.top;
      // Left of the pointer on the right half, so that it stays inside the figure.
      const flip = x > box.width / 2;
      tooltip.style.left = flip ? "" : `${x + 14}px`;
      tooltip.style.right = flip ? `${box.width - x + 14}px` : "";
      tooltip.style.top = `${y + 16}px`;
    }

    const frameAt = (event) => {
      const el = event.target.closest(".fg-frame");
      return el ? nodes[Number(el.dataset.index)] : undefined;
    };
    frames.addEventListener("click", (event) => {
      const node = frameAt(event);
      if (!node || node === focus) return;
      focus = node;
      draw();
    });
    frames.addEventListener("mousemove", (event) => {
      const node = frameAt(event);
      if (node) showTooltip(node, event);
      else tooltip.hidden = true;
    });
    frames.addEventListener("mouseleave", () => {
      tooltip.hidden = true;
    });
    figure.querySelector(".fg-reset").addEventListener("click", () => {
      focus = root;
      draw();
    });
    search.addEventListener("input", () => {
      query = search.value.trim().toLowerCase();
      highlight();
    });

    draw();
  }

  let rendered = 0;
  for (const figure of document.querySelectorAll(".flamegraph")) {
    setUp(figure);
    rendered += 1;
  }
  window.__flamegraphsRendered = rendered;
})();
