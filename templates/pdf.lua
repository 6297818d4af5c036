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
