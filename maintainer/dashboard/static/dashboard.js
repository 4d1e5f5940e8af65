// Darkroom dashboard: the only script the pages load (served by `darkroom dashboard`, no inline
// code). Live updates of the bundle page, filters that apply on change, the log viewer's search and
// line links, and copying trailers. Text from the server is only ever set as text or as the
// server's own escaped HTML.
'use strict';

function followLive() {
  const live = document.getElementById('live');
  if (!live || !live.dataset.events || typeof EventSource === 'undefined') return;
  const activity = document.getElementById('activity');
  const events = new EventSource(live.dataset.events);
  let loading = null;
  let again = false;
  const reload = async () => {
    if (loading) {
      again = true;
      return;
    }
    do {
      again = false;
      loading = fetch(live.dataset.fragment, { credentials: 'same-origin' }).then((response) => (response.ok ? response.text() : Promise.reject(new Error(`HTTP ${response.status}`))));
      try {
        live.innerHTML = await loading;
        document.body.dataset.updated = String(Number(document.body.dataset.updated || 0) + 1);
      } catch (error) {
        addLine(`Could not reload: ${error.message}`);
      } finally {
        loading = null;
      }
    } while (again);
  };
  const addLine = (text) => {
    if (!activity) return;
    const quiet = activity.querySelector('.quiet');
    if (quiet) quiet.remove();
    const item = document.createElement('li');
    item.textContent = text;
    activity.prepend(item);
    while (activity.children.length > 200) activity.lastElementChild.remove();
  };
  events.addEventListener('ready', () => {
    document.body.dataset.live = 'connected';
  });
  events.addEventListener('changed', () => void reload());
  events.addEventListener('activity', (event) => {
    for (const line of JSON.parse(event.data)) addLine(line);
  });
  events.addEventListener('error', () => {
    document.body.dataset.live = 'reconnecting';
  });
}

function autoFilter() {
  for (const select of document.querySelectorAll('form.filters select')) {
    select.addEventListener('change', () => select.form.submit());
  }
}

function logSearch() {
  const input = document.getElementById('log-search');
  if (!input) return;
  const only = document.getElementById('log-only');
  const count = document.getElementById('log-count');
  const lines = [...document.querySelectorAll('pre.log .line')];
  const texts = lines.map((line) => line.lastChild ? line.textContent.slice(line.firstChild.textContent.length).toLowerCase() : '');
  const apply = () => {
    const query = input.value.trim().toLowerCase();
    let hits = 0;
    let first = null;
    lines.forEach((line, index) => {
      const hit = query !== '' && texts[index].includes(query);
      line.classList.toggle('hit', hit);
      line.classList.toggle('hidden', query !== '' && only.checked && !hit);
      if (hit) {
        hits++;
        first = first || line;
      }
    });
    count.textContent = query ? `${hits} matching line${hits === 1 ? '' : 's'}` : '';
    const url = new URL(window.location.href);
    if (query) url.searchParams.set('q', input.value.trim());
    else url.searchParams.delete('q');
    window.history.replaceState(null, '', url);
    return first;
  };
  input.addEventListener('input', apply);
  only.addEventListener('change', apply);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      const first = apply();
      if (first) first.scrollIntoView({ block: 'center' });
    }
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === '/' && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    }
  });
  const initial = new URL(window.location.href).searchParams.get('q');
  if (initial) {
    input.value = initial;
    apply();
  }
  if (window.location.hash) {
    const target = document.getElementById(window.location.hash.slice(1));
    if (target) target.scrollIntoView({ block: 'center' });
  }
}

function copyButtons() {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', async () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      const done = document.getElementById('copy-done');
      try {
        await navigator.clipboard.writeText(text);
        done.textContent = 'Copied';
      } catch {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById(button.dataset.copy));
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        done.textContent = 'Selected: press Ctrl+C';
      }
    });
  }
}

followLive();
autoFilter();
logSearch();
copyButtons();
