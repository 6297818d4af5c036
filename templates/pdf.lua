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

-- A cell whose text starts like a list item ("1. High spenders", "- 3", "+ x") would be a list in
-- Typst: its first mark is written escaped.
local function no_list_start(blk)
  local first = blk.content[1]
  if first and first.t == "Str" and (first.text:match("^%d+[.)]$") or first.text:match("^[-+*/=]$")) then
    blk.content[1] = pandoc.RawInline("typst", (first.text:gsub("([%.%)%-%+%*/=])", "\\%1")))
  end
  return blk
end

-- Column widths from the content, not from the dashes of the markdown source (which squeezed long
-- headers into narrow columns). A table that fits the line keeps Typst's auto widths. A wider one
-- gets a width per column, in characters of table text: numbers and short codes (right or centre
-- aligned) what their longest value and header word need; text columns at least their longest
-- word, and the rest of the line in proportion to their text (capped).
local LINE = 105 -- characters of 8.5 pt table text across the text width
local SIZE, MIN_SIZE = 8.5, 6 -- pt: table text, and the smallest it is set to fit a wide table
local PAD = 3 -- a cell's padding, in characters
local TEXT_CAP = 45

local function longest_word(t)
  local best = 0
  for w in t:gmatch("%S+") do best = math.max(best, utf8.len(w) or #w) end
  return best
end

local function column_widths(el)
  local n = #el.colspecs
  local len, word, head_word = {}, {}, {}
  for j = 1, n do len[j], word[j], head_word[j] = 0, 0, 0 end
  local function scan(rows, header)
    for _, row in ipairs(rows) do
      local j = 1
      for _, cell in ipairs(row.cells) do
        if j <= n then
          local t = pandoc.utils.stringify(cell.contents)
          if header then
            head_word[j] = math.max(head_word[j], longest_word(t))
          else
            len[j] = math.max(len[j], utf8.len(t) or #t)
          end
          -- breakable() cuts runs longer than RUN characters
          word[j] = math.max(word[j], math.min(longest_word(t), RUN + 1))
        end
        j = j + (cell.col_span or 1)
      end
    end
  end
  scan(el.head.rows, true)
  for _, body in ipairs(el.bodies) do scan(body.body, false) end
  local width, text = {}, {}
  local fixed, least, wanted = 0, 0, 0
  for j = 1, n do
    local align = el.colspecs[j][1]
    text[j] = not (align == "AlignRight" or align == "AlignCenter")
    if text[j] then
      width[j] = word[j] + PAD
      least = least + width[j]
      wanted = wanted + math.max(math.min(len[j], TEXT_CAP) + PAD - width[j], 0)
    else
      width[j] = math.max(len[j], head_word[j]) + PAD
      fixed = fixed + width[j]
    end
    el.colspecs[j] = { align, pandoc.ColWidthDefault }
  end
  if fixed + least + wanted <= LINE then return SIZE end
  -- A table whose numbers and longest words do not fit the line is set in smaller type.
  local size = math.max(MIN_SIZE, math.min(SIZE, SIZE * LINE / (fixed + least)))
  local line = LINE * SIZE / size
  local spare = math.max(line - fixed - least, 0)
  local total = 0
  for j = 1, n do
    if text[j] and wanted > 0 then
      local extra = math.max(math.min(len[j], TEXT_CAP) + PAD - width[j], 0)
      width[j] = width[j] + spare * extra / wanted
    end
    total = total + width[j]
  end
  for j = 1, n do el.colspecs[j] = { el.colspecs[j][1], width[j] / total } end
  return size
end

function Table(el)
  local size = column_widths(el)
  el = el:walk({
    Str = function(s) s.text = breakable(s.text); return s end,
    Code = function(c) c.text = breakable(c.text); return c end,
    Plain = no_list_start,
    Para = no_list_start,
  })
  if size >= SIZE then return el end
  return {
    pandoc.RawBlock("typst", string.format("#[#show table: set text(size: %.1fpt)", size)),
    el,
    pandoc.RawBlock("typst", "]"),
  }
end
