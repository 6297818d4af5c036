-- The PDF has no other pages to link to: links to .qmd pages keep their text only.
function Link(el)
  if el.target:match("%.qmd$") or el.target:match("%.qmd#") then
    return el.content
  end
  return el
end

local callout_parts = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "callouts.lua" }))

-- Quarto callouts keep their title on paper: a tinted box with the title in bold.
local COLOURS = { -- kind -> accent, tint
  note = { "#1b4f72", "#e8f0f7" }, tip = { "#198754", "#e8f5ee" }, warning = { "#c77700", "#fdf4e3" },
  important = { "#b02a37", "#fbeaec" }, caution = { "#d35400", "#fdefe6" },
}

local function callout(el)
  local kind, title, content = callout_parts(el)
  if not kind then return nil end
  local open = string.format('#block(width: 100%%, inset: (x: 9pt, y: 7pt), radius: 3pt, fill: rgb("%s"), '
    .. 'stroke: (left: 2.5pt + rgb("%s")))[', COLOURS[kind][2], COLOURS[kind][1])
  local out = pandoc.List({ pandoc.RawBlock("typst", open), pandoc.Para({ pandoc.Strong(title) }) })
  out:extend(content)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

-- Page-to-page navigation means nothing on paper; a tabset or columns are their panels one after
-- the other, each under its own heading.
function Div(el)
  if el.classes:includes("pager") then return {} end
  if el.classes:includes("panel-tabset") or el.classes:includes("columns") or el.classes:includes("column") then
    return el.content
  end
  return callout(el) or el
end

-- Table cells are narrow on paper: long words (column names such as NumCatalogPurchases or
-- channel_catalog, long values from the data) get break opportunities (zero-width spaces) after
-- separators, between a lower-case and an upper-case letter, and every 18 characters of a run
-- with none, so that they wrap inside their cell instead of running into the next one.
local ZWSP = "\u{200B}"
local RUN = 18

local function breakable(s)
  if utf8.len(s) == nil or utf8.len(s) <= 12 then return s end
  s = s:gsub("([_/,;:%.%-%+=|\\])", "%1" .. ZWSP):gsub("(%l)(%u)", "%1" .. ZWSP .. "%2")
  local out, run = {}, 0
  for _, c in utf8.codes(s) do
    local ch = utf8.char(c)
    if ch == ZWSP or ch == " " then run = 0 else run = run + 1 end
    if run > RUN then out[#out + 1] = ZWSP; run = 1 end
    out[#out + 1] = ch
  end
  return table.concat(out)
end

function Table(el)
  return el:walk({
    Str = function(s) s.text = breakable(s.text); return s end,
    Code = function(c) c.text = breakable(c.text); return c end,
  })
end
