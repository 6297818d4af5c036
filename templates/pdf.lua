-- The PDF has no other pages to link to: links to .qmd pages keep their text only.
function Link(el)
  if el.target:match("%.qmd$") or el.target:match("%.qmd#") then
    return el.content
  end
  return el
end

-- Page-to-page navigation means nothing on paper.
function Div(el)
  if el.classes:includes("pager") then
    return {}
  end
  return el
end

-- Quarto callouts keep their title on paper: a tinted box with the title in bold.
local CALLOUTS = { -- kind, default title, accent, tint
  { "note", "Note", "#1b4f72", "#e8f0f7" }, { "tip", "Tip", "#198754", "#e8f5ee" },
  { "warning", "Warning", "#c77700", "#fdf4e3" }, { "important", "Important", "#b02a37", "#fbeaec" },
  { "caution", "Caution", "#d35400", "#fdefe6" },
}

local function callout(el)
  for _, kind in ipairs(CALLOUTS) do
    if el.classes:includes("callout-" .. kind[1]) then
      local content = el.content:clone()
      local title
      if el.attributes.title and el.attributes.title ~= "" then
        title = pandoc.utils.blocks_to_inlines(pandoc.read(el.attributes.title, "markdown").blocks)
      elseif #content > 0 and content[1].t == "Header" then
        title = table.remove(content, 1).content
      else
        title = { pandoc.Str(kind[2]) }
      end
      local open = string.format('#block(width: 100%%, inset: (x: 9pt, y: 7pt), radius: 3pt, fill: rgb("%s"), '
        .. 'stroke: (left: 2.5pt + rgb("%s")))[', kind[4], kind[3])
      local out = pandoc.List({ pandoc.RawBlock("typst", open), pandoc.Para({ pandoc.Strong(title) }) })
      out:extend(content)
      out:insert(pandoc.RawBlock("typst", "]"))
      return out
    end
  end
end

-- On paper a tabset is its panels one after the other, each under its own heading.
local function unwrap(el)
  if el.classes:includes("panel-tabset") or el.classes:includes("columns") or el.classes:includes("column") then
    return el.content
  end
end

local pager = Div
function Div(el)
  local done = pager(el)
  if done ~= el then return done end
  return callout(el) or unwrap(el) or el
end
