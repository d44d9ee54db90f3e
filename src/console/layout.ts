import type { ConsoleAssets } from './assets';
import { html, type Html } from './html';
import type { Operator } from './operators';

export type Section = 'portfolio' | 'queue' | 'case' | 'login';

/** The page shell: skip link, navigation, who is signed in, local assets only. */
export function page(options: { title: string; assets: ConsoleAssets; operator?: Operator; section: Section; body: Html; script?: boolean }): string {
  const { title, assets, operator, section, body } = options;
  const current = (s: Section) => (s === section ? html` aria-current="page"` : '');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Collections console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/${assets.style.name}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <strong>Collections</strong>
  ${operator
    ? html`<nav aria-label="Console"><a href="/console"${current('portfolio')}>Portfolio</a> &nbsp; <a href="/console/queue"${current('queue')}>Work queue</a></nav>
  <div class="who"><span data-testid="operator">${operator.id} (${operator.role})</span>
    <form method="post" action="/console/logout"><button type="submit">Sign out</button></form></div>`
    : ''}
</header>
<main id="main" tabindex="-1">
${body}
</main>
${options.script ? html`<script src="/console/assets/${assets.script.name}" defer></script>` : ''}
</body>
</html>
`.text;
}
