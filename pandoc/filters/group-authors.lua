-- JATS: an author marked `collective: true` (a consortium, a study group, a committee)
-- is a group, tagged <collab>, not a person's <string-name>:
--   author:
--     - name: The CAFE Investigators
--       collective: true
-- pandoc's JATS template has no such case, so the name goes out wrapped in a span
-- (<named-content content-type="collab">) that the build's tidy step turns into
-- <collab> (tidy_jats in audit/build/formats/jats.py).
function Meta(meta)
  if not meta.author then
    return nil
  end
  local authors = pandoc.List()
  for _, author in ipairs(meta.author) do
    if type(author) == "table" and author.collective and author.name then
      author.name = pandoc.MetaInlines({ pandoc.Span(author.name, pandoc.Attr("", { "collab" })) })
      author.collective = nil
    end
    authors:insert(author)
  end
  meta.author = authors
  return meta
end
