// Contrast as Chromium renders it, for the page loaded in this tab (see contrast.py).
// Evaluated in an isolated world: the DOM and the layout are the page's, the builtins ours.
// Returns counts and failures; every element it cannot judge is counted, never passed.
(async () => {
  const MAX_COMBOS = 64;
  const REPLACED = new Set(["IMG", "VIDEO", "CANVAS", "IFRAME", "EMBED", "OBJECT", "svg"]);
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TITLE", "HEAD", "OPTION"]);
  const FOCUSABLE =
    'a[href], area[href], button, input:not([type="hidden"]), select, textarea, summary, ' +
    '[tabindex]:not([tabindex="-1"])';
  const out = {
    checked: 0, unchecked: 0, hidden: 0, focus_checked: 0, focus_unchecked: 0,
    failures: [], unchecked_samples: [],
  };

  await document.fonts.ready;
  // What a visitor can open is measured open: the FAQ's answers are text too.
  for (const details of document.querySelectorAll("details")) details.open = true;
  // Overlays that ignore the pointer must still be found under the text; a smooth scroll
  // would leave the page mid-way when it is measured.
  const style = document.createElement("style");
  style.textContent =
    "*, *::before, *::after { pointer-events: auto !important; scroll-behavior: auto !important; }";
  document.documentElement.append(style);
  const settle = () => {
    // Transitions and animations at their end state: that is what a reader looks at.
    for (const animation of document.getAnimations()) {
      try { animation.finish(); } catch { /* an infinite one: leave it where it is */ }
    }
  };
  settle();

  // --- colours: premultiplied [r, g, b, a] in 0..1, sRGB-encoded (where browsers blend) ---
  const probe = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  const parsed = new Map();
  const parse = (css) => {
    if (parsed.has(css)) return parsed.get(css);
    let rgba;
    const legacy = css.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
    const srgb = css.match(/^color\(srgb ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)(?: \/ ([\d.e]+))?\)$/);
    if (legacy) {
      rgba = [+legacy[1] / 255, +legacy[2] / 255, +legacy[3] / 255, legacy[4] ?? 1];
    } else if (srgb) {
      rgba = [+srgb[1], +srgb[2], +srgb[3], srgb[4] ?? 1];
    } else if (css === "transparent") {
      rgba = [0, 0, 0, 0];
    } else {
      // Any other notation (oklch, lab...): let the canvas convert one pixel to sRGB.
      probe.clearRect(0, 0, 1, 1);
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
      rgba = [r / 255, g / 255, b / 255, a / 255];
    }
    rgba = rgba.map((v) => Math.min(1, Math.max(0, +v)));
    const premultiplied = [rgba[0] * rgba[3], rgba[1] * rgba[3], rgba[2] * rgba[3], rgba[3]];
    parsed.set(css, premultiplied);
    return premultiplied;
  };
  const COLOUR = /(?:rgba?|hsla?|color|oklch|oklab|lab|lch|hwb)\([^()]*\)|#[0-9a-f]{3,8}\b|\btransparent\b/gi;
  const over = (top, below) => below.map((v, i) => top[i] + v * (1 - top[3]));
  const scale = (c, k) => c.map((v) => v * k);
  // The framebuffer has 8 bits a channel: measure what it holds.
  const pixel = (c) => c.slice(0, 3).map((v) => Math.round((c[3] ? v / c[3] : 0) * 255));
  const hex = (p) => "#" + p.map((v) => v.toString(16).padStart(2, "0")).join("");
  const luminance = (p) => {
    const [r, g, b] = p.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };

  // --- what is painted under a point, bottom first, each with its opacity groups ---
  // Computed styles are live objects: one per element serves before and after a focus.
  const styles = new Map();
  const styleOf = (el) => {
    if (!styles.has(el)) styles.set(el, getComputedStyle(el));
    return styles.get(el);
  };
  const chainOf = (el) => {
    const groups = [];
    for (let at = el; at; at = at.parentElement) {
      if (+styleOf(at).opacity < 1) groups.unshift(at);
    }
    return groups;
  };
  const root = document.documentElement;
  const rootBg = styleOf(root).backgroundColor;
  // The root's background (or the body's, if the root has none) paints the whole canvas.
  const canvasOwner =
    parse(rootBg)[3] === 0 && styleOf(root).backgroundImage === "none" ? document.body : root;
  // Does a positioned ::before/::after with a background cover (x, y)? Its box is not in the
  // DOM, so it is worked out from its offsets in its containing block; one that may cover
  // the point makes it unknown (null), since its place in the paint order is not known.
  const pseudoCovers = (el, x, y) => {
    for (const which of ["::before", "::after"]) {
      const ps = getComputedStyle(el, which);
      if (ps.content === "none" || ps.content === "normal" || ps.display === "none") continue;
      if (ps.position !== "absolute" && ps.position !== "fixed") continue;
      if (parse(ps.backgroundColor)[3] === 0 && ps.backgroundImage === "none") continue;
      let block = el;
      while (block && ps.position === "absolute" && styleOf(block).position === "static") {
        block = block.parentElement;
      }
      const bs = block && ps.position === "absolute" ? styleOf(block) : null;
      const r = bs ? block.getBoundingClientRect() : new DOMRect(0, 0, innerWidth, innerHeight);
      const left = r.left + (bs ? parseFloat(bs.borderLeftWidth) : 0);
      const top = r.top + (bs ? parseFloat(bs.borderTopWidth) : 0);
      const extra = (a, b, c, d) => (ps.boxSizing === "content-box" ? a + b + c + d : 0);
      const width = parseFloat(ps.width) + extra(...["paddingLeft", "paddingRight",
        "borderLeftWidth", "borderRightWidth"].map((k) => parseFloat(ps[k])));
      const height = parseFloat(ps.height) + extra(...["paddingTop", "paddingBottom",
        "borderTopWidth", "borderBottomWidth"].map((k) => parseFloat(ps[k])));
      const x0 = left + parseFloat(ps.left);
      const y0 = top + parseFloat(ps.top);
      if (![width, height, x0, y0].every(Number.isFinite)) return true;
      if (x >= x0 && x < x0 + width && y >= y0 && y < y0 + height) return true;
    }
    return false;
  };
  // Layers at the point, bottom first: null when one cannot be known (an image, a filter).
  const layersOf = (stack, x, y) => {
    const layers = [];
    for (const el of [...stack].reverse()) {
      const cs = styleOf(el);
      if (REPLACED.has(el.tagName) || el instanceof SVGElement) return null;
      if (pseudoCovers(el, x, y)) return null;
      if (cs.filter !== "none" || cs.mixBlendMode !== "normal" || cs.backdropFilter !== "none") {
        return null;
      }
      if (cs.backgroundClip === "text") return null;
      const chain = chainOf(el);
      for (const group of chain) {
        const gs = styleOf(group);
        if (gs.filter !== "none" || gs.mixBlendMode !== "normal") return null;
      }
      if (el === canvasOwner) continue; // already the base, see render()
      if (parse(cs.backgroundColor)[3] > 0) {
        layers.push({ chain, stops: [parse(cs.backgroundColor)] });
      }
      if (cs.backgroundImage !== "none") {
        if (/url\(|image-set|element\(|paint\(|cross-fade/i.test(cs.backgroundImage)) return null;
        // A gradient: judged against each of its colours, the worst one counts.
        const stops = (cs.backgroundImage.match(COLOUR) || []).map(parse);
        if (!stops.length) return null;
        layers.push({ chain, stops });
      }
    }
    return layers;
  };
  const canvasBase = () => {
    const owner = styleOf(canvasOwner);
    if (owner.backgroundImage !== "none") return null;
    return over(parse(owner.backgroundColor), [1, 1, 1, 1]); // the viewport is white below
  };
  // One stop of each gradient per combination: every combination, or null if too many.
  const combos = (layers) => {
    let all = [[]];
    for (const layer of layers) {
      all = all.flatMap((combo) => layer.stops.map((_, i) => [...combo, i]));
      if (all.length > MAX_COMBOS) return null;
    }
    return all;
  };
  // Composite bottom to top; a group (an element with opacity) is flattened, then faded.
  const render = (base, layers, combo) => {
    const stack = [{ group: null, colour: base }];
    const close = () => {
      const { group, colour } = stack.pop();
      const top = stack[stack.length - 1];
      top.colour = over(scale(colour, +styleOf(group).opacity), top.colour);
    };
    layers.forEach((layer, i) => {
      while (stack.length > 1 && !layer.chain.includes(stack[stack.length - 1].group)) close();
      for (const group of layer.chain) {
        if (!stack.some((s) => s.group === group)) stack.push({ group, colour: [0, 0, 0, 0] });
      }
      const top = stack[stack.length - 1];
      top.colour = over(layer.stops[combo[i]], top.colour);
    });
    while (stack.length > 1) close();
    return pixel(stack[0].colour);
  };
  // The worst contrast of `paint` (a colour in `el`'s groups, painted just above `below`)
  // against its surroundings; what is `above` it at the point (an overlay) covers both.
  const worst = (el, paint, x, y, below, above = []) => {
    const base = canvasBase();
    const under = layersOf(below, x, y);
    const over_ = layersOf(above, x, y);
    if (!base || !under || !over_) return null;
    const layers = [...under, ...over_];
    const all = combos(layers);
    if (!all) return null;
    const mark = { chain: chainOf(el), stops: [paint] };
    const marked = [...under, mark, ...over_];
    let found = null;
    for (const combo of all) {
      const bg = render(base, layers, combo);
      const withMark = [...combo.slice(0, under.length), 0, ...combo.slice(under.length)];
      const fg = render(base, marked, withMark);
      const r = ratio(fg, bg);
      if (!found || r < found.ratio) found = { ratio: r, fg: hex(fg), bg: hex(bg) };
    }
    return found;
  };

  const snippet = (text) => {
    const clean = text.replace(/\s+/g, " ").trim();
    return clean.length > 40 ? clean.slice(0, 39) + "\u2026" : clean;
  };
  const seen = new Set();
  const fail = (failure) => {
    const key = JSON.stringify([failure.rule, failure.text, failure.fg, failure.bg]);
    if (!seen.has(key)) out.failures.push(failure);
    seen.add(key);
  };
  const unknown = (text, why) => {
    if (out.unchecked_samples.length < 5) out.unchecked_samples.push(`'${snippet(text)}' (${why})`);
  };
  // Bring a point of the page to the middle of the viewport, and say where it is now.
  const centre = (rectOf) => {
    let rect = rectOf();
    if (!rect) return null;
    const y = scrollY + rect.top + rect.height / 2 - innerHeight / 2;
    const x = scrollX + rect.left + rect.width / 2 - innerWidth / 2;
    scrollTo({ left: Math.max(0, x), top: Math.max(0, y), behavior: "instant" });
    rect = rectOf();
    return rect;
  };
  const inView = (x, y) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight;

  // --- text: every element with text of its own ---
  const owners = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.data.trim() || parent.closest("svg")) continue;
    if ([...SKIP].some((tag) => parent.closest(tag))) continue;
    if (!owners.has(parent)) owners.set(parent, []);
    owners.get(parent).push(node);
  }
  // One element's own text: "hidden", "unchecked" or "checked" (a failure is recorded).
  const checkText = (el, nodes) => {
    const text = nodes.map((n) => n.data).join(" ");
    const cs = styleOf(el);
    const visible = el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    const box = el.getBoundingClientRect();
    const ink = parse(cs.webkitTextFillColor || cs.color);
    if (!visible || box.width <= 1 || box.height <= 1 || ink[3] === 0 || !parseFloat(cs.fontSize)) {
      return "hidden";
    }
    const range = document.createRange();
    const lineOf = () => {
      for (const n of nodes) {
        range.selectNodeContents(n);
        const line = [...range.getClientRects()].find((r) => r.width > 0 && r.height > 0);
        if (line) return line;
      }
      return null;
    };
    const line = centre(lineOf);
    const x = line && line.left + line.width / 2;
    const y = line && line.top + line.height / 2;
    // Not at its own place (clipped away, off the page): nobody can read it there.
    const stack = line && inView(x, y) ? document.elementsFromPoint(x, y) : [];
    const at = stack.indexOf(el);
    if (at < 0) return "hidden";
    const found = worst(el, ink, x, y, stack.slice(at), stack.slice(0, at));
    if (!found) {
      unknown(text, "background unknown");
      return "unchecked";
    }
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && +cs.fontWeight >= 700);
    const need = large ? 3 : 4.5;
    if (found.ratio < need) fail({ rule: "contrast", text: snippet(text), need, ...found });
    return "checked";
  };
  // Text shown only on focus (a skip link) is measured when focused, below.
  const onFocusOnly = new Map();
  for (const [el, nodes] of owners) {
    const status = checkText(el, nodes);
    out[status] += 1; // the counts are named like the statuses
    if (status === "hidden") onFocusOnly.set(el, nodes);
  }

  // --- focus: the ring :focus-visible draws, against what is around the element ---
  const LOOKS = ["outlineStyle", "outlineColor", "outlineWidth", "boxShadow", "color",
    "backgroundColor", "borderColor", "textDecorationLine"];
  for (const el of document.querySelectorAll(FOCUSABLE)) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    const label = snippet(el.innerText || el.getAttribute("aria-label") || el.tagName);
    const plain = getComputedStyle(el);
    const before = LOOKS.map((k) => plain[k]);
    el.focus({ focusVisible: true });
    settle();
    if (document.activeElement !== el) continue;
    if (onFocusOnly.has(el)) {
      const status = checkText(el, onFocusOnly.get(el));
      out.hidden -= 1;
      out[status] += 1;
    }
    const cs = getComputedStyle(el);
    const width = parseFloat(cs.outlineWidth) || 0;
    if (cs.outlineStyle === "none" || width === 0) {
      if (LOOKS.some((k, i) => cs[k] !== before[i])) {
        out.focus_unchecked += 1; // another kind of indicator: not measured here
        unknown(label, "focus shown without an outline");
      } else {
        fail({ rule: "focus-contrast", text: label, missing: true });
      }
    } else if (cs.outlineStyle === "auto") {
      out.focus_unchecked += 1; // the browser's own two-tone ring
      unknown(label, "the browser's focus ring");
    } else {
      const box = centre(() => el.getClientRects()[0] || null);
      const away = (parseFloat(cs.outlineOffset) || 0) + width / 2;
      let found = null;
      if (box) {
        const midX = box.left + box.width / 2;
        const midY = box.top + box.height / 2;
        const points = [[box.left - away, midY], [box.right + away, midY],
          [midX, box.top - away], [midX, box.bottom + away]];
        for (const [px, py] of points.filter(([px, py]) => inView(px, py))) {
          const one = worst(el, parse(cs.outlineColor), px, py, document.elementsFromPoint(px, py));
          if (!one) {
            found = null;
            break;
          }
          if (!found || one.ratio < found.ratio) found = one;
        }
      }
      if (!found) {
        out.focus_unchecked += 1;
        unknown(label, "focus outline on an unknown background");
      } else {
        out.focus_checked += 1;
        if (found.ratio < 3) fail({ rule: "focus-contrast", text: label, need: 3, ...found });
      }
    }
    el.blur();
    settle();
  }
  scrollTo({ left: 0, top: 0, behavior: "instant" });
  return out;
})();
