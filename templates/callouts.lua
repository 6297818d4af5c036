-- Quarto callouts as the two renderers read them: which kind a div is, its title and its body.
-- Loaded by quarto.lua (HTML) and pdf.lua (Typst), which lay the parts out each their own way.

local KINDS = { -- in a fixed order, so the output never depends on table iteration
  { "note", "Note" }, { "tip", "Tip" }, { "warning", "Warning" }, { "important", "Important" },
  { "caution", "Caution" },
}

-- kind, title (inlines) and content (blocks) of a callout div; nil for any other div.
return function(el)
  for _, kind in ipairs(KINDS) do
    if el.classes:includes("callout-" .. kind[1]) then
      local content = el.content:clone()
      local title
      if el.attributes.title and el.attributes.title ~= "" then
        title = pandoc.utils.blocks_to_inlines(pandoc.read(el.attributes.title, "markdown").blocks)
      elseif #content > 0 and content[1].t == "Header" then -- Quarto: a heading opening the callout
        title = table.remove(content, 1).content
      else
        title = { pandoc.Str(kind[2]) }
      end
      return kind[1], title, content
    end
  end
end
