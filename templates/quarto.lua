-- Quarto's markdown features for the built-in pandoc renderer, written as the markup that
-- site.css and site.js style: callouts, tabsets, columns, and Bootstrap tables. The .qmd sources
-- keep Quarto's own syntax, so `quarto render` gives the same pages.

local callout_parts = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "callouts.lua" }))

local function callout(el)
  local kind, title, content = callout_parts(el)
  if not kind then return nil end
  local header = pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-header" }))
  local body = pandoc.Div(content, pandoc.Attr("", { "callout-body" }))
  return pandoc.Div({ header, body }, pandoc.Attr(el.identifier, { "callout", "callout-" .. kind }, { role = "note" }))
end

local tabsets = 0

-- One .tab-pane per heading of the tabset's first heading level. The heading stays a heading
-- (shown without JavaScript, where every panel is listed in turn) but leaves the table of contents.
local function tabset(el)
  local level
  for _, b in ipairs(el.content) do
    if b.t == "Header" then level = b.level; break end
  end
  if not level then return nil end
  tabsets = tabsets + 1
  local out, pane = pandoc.List(), nil
  for _, b in ipairs(el.content) do
    if b.t == "Header" and b.level == level then
      b.classes:insert("unlisted")
      b.classes:insert("tab-title")
      pane = pandoc.Div({ b }, pandoc.Attr("tabset-" .. tabsets .. "-" .. (#out + 1), { "tab-pane" }))
      out:insert(pane)
    elseif pane then
      pane.content:insert(b)
    else
      out:insert(b)
    end
  end
  return pandoc.Div(out, pandoc.Attr(el.identifier, { "panel-tabset" }))
end

-- Quarto writes a column's width as an inline style; pandoc would keep it as data-width.
local function column(el)
  local width = el.attributes.width
  if width then
    el.attributes.width = nil
    el.attributes.style = "width: " .. width .. ";" .. (el.attributes.style or "")
  end
  return el
end

function Div(el)
  if el.classes:includes("panel-tabset") then return tabset(el) end
  if el.classes:includes("column") then return column(el) end
  return callout(el)
end

-- Tables as Bootstrap tables, scrolling sideways on their own when wider than the screen.
-- Column widths are left to the browser: pandoc's fixed shares (from the source's dashes)
-- squeeze long text into narrow columns once a wide table scrolls on a phone.
function Table(el)
  el.classes:extend({ "table", "table-sm", "table-striped", "table-hover" })
  for i, spec in ipairs(el.colspecs) do
    el.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  return pandoc.Div({ el }, pandoc.Attr("", { "table-responsive" }))
end
