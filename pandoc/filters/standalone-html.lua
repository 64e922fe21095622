-- A standalone HTML page without pandoc's --embed-resources, which re-reads the whole
-- written page to inline what it links (about half of the HTML step on a manuscript of
-- 600 references or more). What our pages link is known: the stylesheet, inlined in
-- the head, and images (fetched as --embed-resources would), which become data: URIs
-- (SVGs keep the accessible name --embed-resources gives them).
local css_path = pandoc.path.join({pandoc.path.directory(PANDOC_SCRIPT_FILE), "..", "manuscript.css"})

local function read(path)
  local f = assert(io.open(path, "rb"), "cannot read " .. path)
  local text = f:read("a")
  f:close()
  return text
end

function Image(img)
  if img.src:match("^data:") then
    return nil
  end
  local mime, contents = pandoc.mediabag.fetch(img.src)
  img.src = pandoc.mediabag.make_data_uri(mime, contents)
  if mime == "image/svg+xml" then
    img.attributes["role"] = "img"
    img.attributes["aria-label"] = pandoc.utils.stringify(img.caption)
  end
  return img
end

function Meta(meta)
  local includes = meta["header-includes"]
  if includes == nil then
    includes = pandoc.List()
  elseif pandoc.utils.type(includes) ~= "List" then
    includes = pandoc.List({includes})
  end
  includes:insert(pandoc.RawBlock("html", '<style type="text/css">\n' .. read(css_path) .. "</style>"))
  meta["header-includes"] = includes
  return meta
end
