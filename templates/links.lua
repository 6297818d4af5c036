-- Links between generated pages are written to the .qmd sources (as Quarto expects);
-- the built-in renderer points them at the .html pages instead.
function Link(el)
  el.target = el.target:gsub("%.qmd$", ".html"):gsub("%.qmd#", ".html#")
  return el
end
