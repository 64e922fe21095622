-- Authors are written once, structured for JATS (name, affiliation list with ids):
--   author:
--     - name: A Collective
--       affiliation:
--         - id: project
--           name: The project
-- pandoc's HTML and DOCX writers expect plain author names, and its typst template
-- an affiliation string: give each writer the shape it understands.
local function names(list)
  local out = pandoc.List()
  for _, aff in ipairs(list) do
    if type(aff) == "table" and aff.name then
      out:insert(pandoc.utils.stringify(aff.name))
    else
      out:insert(pandoc.utils.stringify(aff))
    end
  end
  return table.concat(out, "; ")
end

function Meta(meta)
  if not meta.author or FORMAT:match("jats") then
    return nil
  end
  local authors = pandoc.List()
  for _, author in ipairs(meta.author) do
    if type(author) == "table" and author.name then
      if FORMAT:match("typst") then
        if author.affiliation then
          author.affiliation = pandoc.MetaInlines(pandoc.Inlines(names(author.affiliation)))
        end
        authors:insert(author)
      else
        authors:insert(author.name)
      end
    else
      authors:insert(author)
    end
  end
  meta.author = authors
  return meta
end
