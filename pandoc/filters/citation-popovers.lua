-- HTML only: each in-text citation shows its references on hover or keyboard focus.
--
-- Every link of a citation gets `aria-describedby` naming the reference-list entries of
-- the whole citation, in the list's order (a range such as [23–25] links 23 and 25 only,
-- and describes 23, 24 and 25): a screen reader reads them on focus, script or no script.
-- The small script citation-popover.js (inlined at the end of the body, nothing fetched)
-- shows the same entries in a popover next to the link.
local script_path = pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "..",
                                       "citation-popover.js" })

local function read(path)
  local f = assert(io.open(path, "rb"), "cannot read " .. path)
  local text = f:read("a")
  f:close()
  return text
end

-- position of each entry in the reference list (citeproc's div#refs)
local function positions(blocks)
  local at = {}
  local n = 0
  local function walk(list)
    for _, block in ipairs(list) do
      if block.t == "Div" then
        if block.identifier == "refs" then
          for _, entry in ipairs(block.content) do
            if entry.t == "Div" and entry.identifier:match("^ref%-") then
              n = n + 1
              at[entry.identifier] = n
            end
          end
        else
          walk(block.content)
        end
      end
    end
  end
  walk(blocks)
  return at
end

function Pandoc(doc)
  local at = positions(doc.blocks)
  if next(at) == nil then
    return nil -- no reference list: nothing to show
  end
  doc = doc:walk({
    Cite = function(cite)
      local ids, seen = {}, {}
      for _, citation in ipairs(cite.citations) do
        local id = "ref-" .. citation.id
        if at[id] and not seen[id] then
          seen[id] = true
          ids[#ids + 1] = id
        end
      end
      if #ids == 0 then
        return nil
      end
      table.sort(ids, function(a, b) return at[a] < at[b] end)
      local described = table.concat(ids, " ")
      cite.content = cite.content:walk({
        Link = function(link)
          if link.target:match("^#ref%-") then
            link.attributes["aria-describedby"] = described
            return link
          end
        end,
      })
      return cite
    end,
  })
  local after = doc.meta["include-after"]
  if after == nil then
    after = pandoc.List()
  elseif pandoc.utils.type(after) ~= "List" then
    after = pandoc.List({ after })
  end
  after:insert(pandoc.RawBlock("html", "<script>\n" .. read(script_path) .. "</script>"))
  doc.meta["include-after"] = after
  return doc
end
