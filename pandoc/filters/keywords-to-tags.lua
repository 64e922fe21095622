-- pandoc's JATS template reads `tags:` for <kwd-group>; manuscripts say `keywords:`.
function Meta(meta)
  if meta.keywords and not meta.tags then
    meta.tags = meta.keywords
  end
  return meta
end
