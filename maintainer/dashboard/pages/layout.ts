// The frame of every dashboard page: head with the served stylesheet and script (no inline code,
// nothing from the network), the top bar and breadcrumbs. Pure.
import { h, type Markup } from './markup.js';

export interface Crumb {
  label: string;
  href?: string;
}

export const STYLE_PATH = '/static/dashboard.css';
export const SCRIPT_PATH = '/static/dashboard.js';

export function layout(page: { title: string; crumbs: Crumb[]; body: Markup; who: string }): Markup {
  const crumbs = page.crumbs.map((crumb, index) => h`${index > 0 ? h`<span class="sep">/</span>` : ''}${crumb.href ? h`<a href="${crumb.href}">${crumb.label}</a>` : h`<span>${crumb.label}</span>`}`);
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${page.title} · Darkroom</title>
<link rel="stylesheet" href="${STYLE_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">Darkroom</a><nav class="crumbs">${crumbs}</nav><span class="who">${page.who} · decrypted on this machine</span></header>
<main>
${page.body}
</main>
</body>
</html>
`;
}

/** The page for a refusal or a failure to read: what failed and what to do. */
export function errorPage(error: { title: string; message: string; who: string }): Markup {
  return layout({ title: error.title, crumbs: [{ label: 'Embargoes', href: '/' }, { label: error.title }], who: error.who, body: h`<section class="card error"><h1>${error.title}</h1><p>${error.message}</p></section>` });
}

/**
 * What the secret URL answers, with the cookie: a page that moves on to `location` itself, so the
 * next request comes from this origin (and carries the SameSite=Strict cookie) even when the URL
 * was opened from a terminal, a file or another program.
 */
export function continuePage(location: string): Markup {
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${location}"><title>Darkroom</title><link rel="stylesheet" href="${STYLE_PATH}"></head>
<body><main><p><a href="${location}">Continue to the dashboard</a></p></main></body></html>
`;
}
