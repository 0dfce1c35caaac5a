"""Checks run inside a page: names of controls, contrast, width, CSRF tokens on forms."""

from playwright.sync_api import Page

# WCAG 2 relative luminance and contrast; text over the first opaque background up the tree.
_CONTRAST = """() => {
  const parse = (text) => {
    const found = text.match(/rgba?\\(([^)]+)\\)/);
    if (!found) return null;
    const parts = found[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const channel = (value) => {
    const v = value / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (element) => {
    for (let at = element; at; at = at.parentElement) {
      const colour = parse(getComputedStyle(at).backgroundColor);
      if (colour && colour.a > 0) return colour;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const blend = (fg, bg) => ({
    r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a),
    b: fg.b * fg.a + bg.b * (1 - fg.a), a: 1,
  });
  const problems = [];
  for (const element of document.querySelectorAll("body *")) {
    const text = [...element.childNodes].filter((n) => n.nodeType === 3)
      .map((n) => n.textContent).join("").trim();
    if (!text) continue;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width <= 1 || box.height <= 1) continue;
    const bg = background(element);
    const fg = blend(parse(style.color), bg);
    const [light, dark] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`${element.tagName} "${text.slice(0, 40)}": ${ratio.toFixed(2)}:1`);
    }
  }
  return problems;
}"""

# Every visible control and link has a name a screen reader can announce.
_UNNAMED = """() => {
  const named = (element) => {
    if (element.getAttribute("aria-label") || element.getAttribute("aria-labelledby")) return true;
    if (element.labels && element.labels.length) return true;
    const tag = element.tagName;
    const texted = tag === "BUTTON" || tag === "A" || tag === "SUMMARY";
    return texted && element.textContent.trim() !== "";
  };
  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button, a[href], summary, " +
    "[tabindex]:not([tabindex='-1'])");
  return [...controls]
    .filter((element) => element.getClientRects().length && !named(element))
    .map((element) => element.outerHTML.slice(0, 120));
}"""

_FORMS_WITHOUT_CSRF = """() => [...document.querySelectorAll("form")]
  .filter((form) => (form.getAttribute("method") || "get").toLowerCase() === "post")
  .filter((form) => !(form.querySelector("input[name=csrf_token]") || {}).value)
  .map((form) => form.getAttribute("action"))"""

_OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter((element) => element.scrollWidth > element.clientWidth + 1)
  .filter((element) => ["auto", "scroll"].includes(getComputedStyle(element).overflowX))
  .map((element) => element.outerHTML.slice(0, 80))"""


def unnamed_controls(page: Page) -> list[str]:
    found: list[str] = page.evaluate(_UNNAMED)
    return found


def low_contrast_text(page: Page) -> list[str]:
    found: list[str] = page.evaluate(_CONTRAST)
    return found


def post_forms_without_csrf(page: Page) -> list[str]:
    found: list[str] = page.evaluate(_FORMS_WITHOUT_CSRF)
    return found


def horizontal_scrollers(page: Page) -> list[str]:
    """The page itself, and every box inside it, that scrolls sideways."""
    found: list[str] = page.evaluate(_OVERFLOWING)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        found.append("the page")
    return found


def audit(page: Page) -> dict[str, list[str]]:
    """What is wrong with the page as shown; empty lists when nothing is."""
    return {
        "unnamed controls": unnamed_controls(page),
        "low contrast": low_contrast_text(page),
        "post forms without a CSRF token": post_forms_without_csrf(page),
        "horizontal scrolling": horizontal_scrollers(page),
    }


def assert_clean(page: Page) -> None:
    problems = {check: found for check, found in audit(page).items() if found}
    assert problems == {}, f"{page.url}: {problems}"
