/** The HTML shell of the web chat: the script and stylesheet do the rest. */
export function renderIndexHtml(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Parley — demo chat</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/app.css?v=${version}">
<script type="module" src="/app.js?v=${version}"></script>
</head>
<body>
<div id="app"><div class="boot">Loading Parley…</div></div>
<noscript>The Parley demo needs JavaScript.</noscript>
</body>
</html>
`;
}
