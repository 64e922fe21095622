-- After citeproc: the style's file path is a property of the machine, not of the
-- manuscript. Drop it so that builds in different directories are byte-identical
-- (pandoc copies metadata into, e.g., the DOCX's custom properties).
function Meta(meta)
  meta.csl = nil
  return meta
end
