-- HTML only: the <meta> tags indexers read, in the page's <head> (pandoc's
-- header-includes), built from the front matter and the references citeproc listed.
--
--   Highwire Press tags, which Google Scholar reads: citation_title, citation_author
--   (each followed by its citation_author_institution), citation_publication_date (the
--   build's date, from SOURCE_DATE_EPOCH), citation_journal_title, citation_journal_abbrev,
--   citation_issn, citation_publisher, citation_doi (the front matter's `article: doi:`,
--   or `doi:`), citation_language, citation_keywords, and one citation_reference per
--   work in the reference list, in its order:
--     citation_title=…; citation_author=…; citation_journal_title=…;
--     citation_publication_date=…; citation_volume=…; citation_firstpage=…; citation_doi=…
--   OpenGraph tags, which link previews read: og:title, og:type (article),
--   og:description (the abstract, as `description` too), og:site_name (the journal).
--
-- The works are those of citeproc's reference list (div#refs), in its order; their records
-- are read from the bibliography the AST names: a CSL JSON file is decoded as it is
-- (pandoc.json, a tenth of the time pandoc.utils.references takes to parse 5,000 records
-- into inlines), any other (BibTeX, YAML, inline `references:`) through
-- pandoc.utils.references. A listed work without a record gets its formatted text.
--
-- Runs before authors.lua, which flattens the authors to their names (and drops their
-- affiliations) for pandoc's HTML template.
local stringify = pandoc.utils.stringify
local ptype = pandoc.utils.type

-- plain text of a metadata value or a CSL field (a CSL JSON string loses its markup,
-- <i>…</i> and the like): whitespace collapsed, trimmed
local function text(value)
  if value == nil or value == false then
    return nil
  end
  local s
  if type(value) == "number" then
    s = tostring(math.tointeger(value) or value)
  elseif type(value) == "string" then
    s = value:gsub("</?%a[^>]*>", "")
  elseif ptype(value) == "Blocks" or ptype(value) == "List" then
    local parts = {}
    for _, item in ipairs(value) do
      parts[#parts + 1] = stringify(item)
    end
    s = table.concat(parts, " ")
  else
    s = stringify(value)
  end
  s = s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if s == "" then
    return nil
  end
  return s
end

local function escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

-- a list for a value given once or as a list (a metadata list, or a JSON array)
local function list(value)
  if value == nil then
    return {}
  end
  if ptype(value) == "List" or (ptype(value) == "table" and value[1] ~= nil) then
    return value
  end
  return { value }
end

local function field(map, name)
  if type(map) == "table" and ptype(map) ~= "Inlines" and ptype(map) ~= "List" then
    return map[name]
  end
  return nil
end

-- "2023-11-14" -> "2023/11/14", the form Google Scholar documents
local function scholar_date(value)
  local s = text(value)
  if s == nil then
    return nil
  end
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  if y then
    return y .. "/" .. m .. "/" .. d
  end
  return s
end

-- an author of the front matter: a name, or a map with `name` (or `surname` and
-- `given-names`, as pandoc's JATS template reads them)
local function author_name(author)
  local surname, given = text(field(author, "surname")), text(field(author, "given-names"))
  if surname then
    return given and (surname .. ", " .. given) or surname
  end
  return text(field(author, "name") or author)
end

-- an author's affiliations: maps with a `name`, or ids of the front matter's
-- `affiliation:` list
local function institutions(author, meta)
  local known = {}
  for _, aff in ipairs(list(meta.affiliation)) do
    local id = text(field(aff, "id"))
    if id then
      known[id] = text(field(aff, "name") or aff)
    end
  end
  local out = {}
  for _, aff in ipairs(list(field(author, "affiliation"))) do
    local name = text(field(aff, "name"))
    if name == nil then
      local id = text(aff)
      name = id and (known[id] or id)
    end
    if name then
      out[#out + 1] = name
    end
  end
  return out
end

-- one CSL name: "Family, Given", or a group's literal name
local function csl_name(name)
  if type(name) ~= "table" then
    return text(name)
  end
  if name.literal then
    return text(name.literal)
  end
  local family = text(name.family)
  local particle = text(name["non-dropping-particle"])
  if family and particle then
    family = particle .. " " .. family
  end
  local given = text(name.given)
  if family and given then
    return family .. ", " .. given
  end
  return family or given
end

local function csl_date(date)
  local parts = type(date) == "table" and date["date-parts"] and date["date-parts"][1]
  if not parts or not parts[1] then
    local raw = type(date) == "table" and text(date.raw or date.literal)
    return raw and (raw:match("^%d%d%d%d$") or raw:match("%f[%d]%d%d%d%d%f[%D]")) or raw or nil
  end
  local out = { tostring(math.tointeger(tonumber(parts[1])) or parts[1]) }
  for i = 2, 3 do
    local n = parts[i] and math.tointeger(tonumber(parts[i]))
    if not n then
      break
    end
    out[#out + 1] = string.format("%02d", n)
  end
  return table.concat(out, "/")
end

-- the container's tag, by the kind of work (a web page's site, a report's series: none)
local CONTAINER = {
  ["article"] = "citation_journal_title",
  ["article-journal"] = "citation_journal_title",
  ["article-magazine"] = "citation_journal_title",
  ["article-newspaper"] = "citation_journal_title",
  ["review"] = "citation_journal_title",
  ["review-book"] = "citation_journal_title",
  ["chapter"] = "citation_inbook_title",
  ["entry-dictionary"] = "citation_inbook_title",
  ["entry-encyclopedia"] = "citation_inbook_title",
  ["paper-conference"] = "citation_conference_title",
}
-- the publisher's tag, by the kind of work
local PUBLISHER = {
  ["report"] = "citation_technical_report_institution",
  ["thesis"] = "citation_dissertation_institution",
}

-- one citation_reference's content: `citation_…=value` pairs joined by "; " (a value's
-- own semicolons become commas: the format has no escape)
local function reference(ref)
  local pairs_ = {}
  local function add(tag, value)
    if value then
      pairs_[#pairs_ + 1] = tag .. "=" .. value:gsub(";", ",")
    end
  end
  add("citation_title", text(ref.title))
  for _, name in ipairs(list(ref.author)) do
    add("citation_author", csl_name(name))
  end
  if CONTAINER[ref.type] then
    add(CONTAINER[ref.type], text(ref["container-title"]))
  end
  add(PUBLISHER[ref.type] or "citation_publisher", text(ref.publisher))
  add("citation_technical_report_number", ref.type == "report" and text(ref.number) or nil)
  add("citation_publication_date", csl_date(ref.issued))
  add("citation_volume", text(ref.volume))
  add("citation_issue", text(ref.issue))
  local page = text(ref.page)
  if page then
    page = page:gsub("–", "-")
    local first, last = page:match("^([^%-]-)%s*%-+%s*(.+)$")
    add("citation_firstpage", first or page)
    add("citation_lastpage", last)
  end
  add("citation_doi", text(ref.DOI))
  add("citation_pmid", text(ref.PMID))
  add("citation_isbn", text(ref.ISBN))
  if not ref.DOI then
    add("citation_public_url", text(ref.URL))
  end
  return table.concat(pairs_, "; ")
end

-- the ids of the reference list's entries, in its order (citeproc's div#refs)
local function listed(blocks)
  local ids = {}
  local function walk(list_)
    for _, block in ipairs(list_) do
      if block.t == "Div" then
        if block.identifier == "refs" then
          for _, entry in ipairs(block.content) do
            if entry.t == "Div" and entry.identifier:match("^ref%-") then
              ids[#ids + 1] = { id = entry.identifier:sub(5), entry = entry }
            end
          end
          return true
        end
        if walk(block.content) then
          return true
        end
      end
    end
    return false
  end
  walk(blocks)
  return ids
end

-- a file the AST names, found as pandoc finds it: as it is, or in the resource path
local function locate(name)
  local candidates = { name }
  if not pandoc.path.is_absolute(name) then
    for _, dir in ipairs(PANDOC_STATE.resource_path) do
      candidates[#candidates + 1] = pandoc.path.join({ dir, name })
    end
  end
  for _, path in ipairs(candidates) do
    local f = io.open(path, "rb")
    if f then
      return f
    end
  end
  return nil
end

-- the records of the bibliography, by id
local function records(doc)
  local by_id = {}
  local files = list(doc.meta.bibliography)
  local json = #files > 0 and doc.meta.references == nil
  local decoded = {}
  for _, file in ipairs(files) do
    local name = text(file)
    local f = json and name and name:lower():match("%.json$") and locate(name)
    if not f then
      json = false
      break
    end
    local items = pandoc.json.decode(f:read("a"), false)
    f:close()
    if type(items) ~= "table" or (#items == 0 and next(items) ~= nil) then
      json = false -- not an array of records: let pandoc read it
      break
    end
    decoded[#decoded + 1] = items
  end
  if json then
    for _, items in ipairs(decoded) do
      for _, item in ipairs(items) do
        if type(item) == "table" and item.id ~= nil and by_id[tostring(item.id)] == nil then
          by_id[tostring(item.id)] = item
        end
      end
    end
  else
    for _, ref in ipairs(pandoc.utils.references(doc)) do
      by_id[ref.id] = ref
    end
  end
  return by_id
end

function Pandoc(doc)
  local meta = doc.meta
  local tags = {}
  local function tag(attr, name, value)
    if value then
      tags[#tags + 1] = string.format('<meta %s="%s" content="%s" />', attr, name, escape(value))
    end
  end
  local function hw(name, value)
    tag("name", name, value)
  end

  local title = text(meta.title)
  local journal = meta.journal
  local article = meta.article
  local lang = text(meta.lang)
  local abstract = text(meta.abstract)

  hw("citation_title", title)
  for _, author in ipairs(list(meta.author)) do
    hw("citation_author", author_name(author))
    for _, name in ipairs(institutions(author, meta)) do
      hw("citation_author_institution", name)
    end
  end
  hw("citation_publication_date", scholar_date(meta.date))
  hw("citation_journal_title", text(field(journal, "title")))
  hw("citation_journal_abbrev", text(field(journal, "abbrev-title")))
  hw("citation_issn", text(field(journal, "pissn")))
  hw("citation_issn", text(field(journal, "eissn")))
  hw("citation_publisher", text(field(journal, "publisher-name")))
  hw("citation_doi", text(field(article, "doi") or meta.doi))
  hw("citation_language", lang and lang:match("^[A-Za-z]+"))
  local keywords = {}
  for _, keyword in ipairs(list(meta.keywords)) do
    keywords[#keywords + 1] = text(keyword)
  end
  hw("citation_keywords", #keywords > 0 and table.concat(keywords, "; ") or nil)

  local entries = listed(doc.blocks)
  if #entries > 0 then
    local by_id = records(doc)
    for _, listed_ in ipairs(entries) do
      local ref = by_id[listed_.id]
      -- a work citeproc listed without its record here: its formatted text, which
      -- Google Scholar reads too
      hw("citation_reference", ref and reference(ref) or text(listed_.entry.content))
    end
  end

  hw("description", abstract)
  tag("property", "og:title", title)
  tag("property", "og:type", "article")
  tag("property", "og:description", abstract)
  tag("property", "og:site_name", text(field(journal, "title")))
  tag("property", "og:locale", lang and lang:gsub("-", "_"))
  tag("property", "article:published_time", text(meta.date))
  for _, keyword in ipairs(keywords) do
    tag("property", "article:tag", keyword)
  end

  local includes = meta["header-includes"]
  if includes == nil then
    includes = pandoc.List()
  elseif ptype(includes) ~= "List" then
    includes = pandoc.List({ includes })
  end
  includes:insert(1, pandoc.RawBlock("html", table.concat(tags, "\n")))
  meta["header-includes"] = includes
  doc.meta = meta
  return doc
end
