"""Reports: one pipeline from a session to HTML (Jinja2), PDF (WeasyPrint) and JSON.

- `html`: the document model (`Report`, `Section`) and `base.html.j2` around one partial per section;
- `i18n`: the 34 report languages (message catalogs, Babel formats, right to left);
- `result`: a result's report (and the cover, overview table and JSON export of several);
- `transcript`: a session's formatted transcript;
- `pdf` and `workers`: WeasyPrint, in this process or in a pool of worker processes;
- `pipeline`: render once, keep in S3, merge on export; `jobmojito`: `POST /job-interview-pdf`;
- `links`: signed links to a candidate's files (made while rendering); `files`: what such a link opens;
- `shares`: shared report links (create, list, revoke, the shared page); `store`: the only writer of the
  domain's items (`SHARE#`); `exports`: handing a file over.

Nothing is imported here: WeasyPrint exists only where the PDF layer does, and the functions that
only build HTML or JSON must not load it.
"""
