// The playground: the HTTP/JSON API of this server, drawn. No libraries, no network but this
// server. Every result comes from one API call; the page only lays it out.
'use strict';

const $ = (id) => document.getElementById(id);
/** More words than this are counted but not drawn, so a long document stays responsive. */
const MAX_CHIPS = 3000;
const MODE_NAMES = {
  PRECISE: 'jieba precise', SEARCH: 'jieba search', FULL: 'jieba full', ACCURATE: 'accurate',
};
const TAG_NAMES = {
  n: 'noun', nr: 'person', ns: 'place', nt: 'organisation', v: 'verb', a: 'adjective',
  d: 'adverb', m: 'numeral', r: 'pronoun', t: 'time', p: 'preposition', c: 'conjunction',
  u: 'particle', w: 'punctuation', x: 'other symbol', eng: 'Latin', other: 'other',
};

let models = [];
/** Whether the models and profiles have been listed (a server with tokens refuses until one
 * is given). */
let listed = false;

function setStatus(state, text) {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

function showError(error) {
  const box = $('error');
  box.textContent = error ? error.message : '';
  box.hidden = !error;
}

/** Calls the API: the answer's JSON and the time it took; an Error with the server's words. */
async function api(path, body) {
  const headers = {};
  const token = $('token').value.trim();
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method: body === undefined ? 'GET' : 'POST', headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const started = performance.now();
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Error(`The server could not be reached (${e.message}).`);
  }
  let json = null;
  try {
    json = await response.json();
  } catch (_) {
    json = null;
  }
  const ms = performance.now() - started;
  if (!response.ok) {
    const said = json && json.message ? json.message : response.statusText;
    const hint = response.status === 401 ? ' Enter a token under "Token".'
      : response.status === 429 ? ' The server is busy; try again in a moment.' : '';
    throw new Error(`${path}: ${response.status}: ${said}.${hint}`);
  }
  return { json, ms };
}

function common(request, profile) {
  const script = $('script').value;
  if (script !== 'SIMPLIFIED') request.script = script;
  if (profile) request.profile = profile;
  return request;
}

function segmentRequest(mode, profile) {
  const request = { text: $('text').value, mode };
  if (!$('hmm').checked && (mode === 'PRECISE' || mode === 'SEARCH')) request.disableHmm = true;
  if ($('tags').checked && (mode === 'PRECISE' || mode === 'ACCURATE')) request.withPos = true;
  return common(request, profile);
}

function tagClass(pos) {
  if (!pos) return 't-other';
  if (['nr', 'ns', 'nt', 'eng'].includes(pos)) return `t-${pos}`;
  return 'nvadmrtpcuwx'.includes(pos[0]) ? `t-${pos[0]}` : 't-other';
}

/** Draws `tokens` as chips in `container`; those whose offsets are not in `others` differ. */
function drawChips(container, tokens, others) {
  const fragment = document.createDocumentFragment();
  for (const token of tokens.slice(0, MAX_CHIPS)) {
    const chip = document.createElement('span');
    const start = token.start || 0;
    const end = token.end || 0;
    chip.className = `chip ${tagClass(token.pos)}`;
    // Whitespace shown as signs, so that a line break or a space is a visible word.
    chip.textContent = token.word.replace(/\r?\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·');
    chip.dataset.word = token.word;
    chip.dataset.start = start;
    chip.dataset.end = end;
    chip.title = `characters ${start}–${end}, bytes ${token.byteStart || 0}–${token.byteEnd || 0}`
      + (token.pos ? `, ${token.pos} (${TAG_NAMES[tagClass(token.pos).slice(2)] || token.pos})` : '');
    if (others && !others.has(`${start}:${end}`)) chip.classList.add('differs');
    fragment.appendChild(chip);
  }
  container.replaceChildren(fragment);
}

function drawLegend(tokens) {
  const seen = new Set(tokens.map((t) => tagClass(t.pos)));
  const legend = $('legend');
  legend.replaceChildren();
  if (!tokens.some((t) => t.pos)) return;
  for (const cls of seen) {
    const item = document.createElement('span');
    item.className = cls;
    item.textContent = TAG_NAMES[cls.slice(2)] || cls.slice(2);
    legend.appendChild(item);
  }
}

function bar(label, value, max) {
  const item = document.createElement('li');
  item.className = 'bar';
  const name = document.createElement('span');
  name.textContent = label;
  const track = document.createElement('span');
  const fill = document.createElement('span');
  fill.className = 'fill';
  fill.style.width = `${max > 0 ? Math.max(2, (100 * value) / max) : 0}%`;
  fill.style.display = 'block';
  track.appendChild(fill);
  const number = document.createElement('span');
  number.className = 'value';
  number.textContent = value.toFixed(3);
  item.append(name, track, number);
  return item;
}

function markWord(word, on) {
  for (const chip of document.querySelectorAll('#chips .chip')) {
    chip.classList.toggle('marked', on && chip.dataset.word === word);
  }
}

function drawKeywords(keywords) {
  const list = $('keywords');
  list.replaceChildren();
  const max = keywords.reduce((m, k) => Math.max(m, k.weight || 0), 0);
  for (const keyword of keywords) {
    const item = bar(keyword.word, keyword.weight || 0, max);
    item.dataset.word = keyword.word;
    item.dataset.weight = keyword.weight || 0;
    item.tabIndex = 0;
    item.setAttribute('role', 'button');
    item.setAttribute('aria-pressed', 'false');
    const toggle = () => {
      const on = !item.classList.contains('active');
      for (const other of list.children) {
        other.classList.remove('active');
        other.setAttribute('aria-pressed', 'false');
      }
      item.classList.toggle('active', on);
      item.setAttribute('aria-pressed', String(on));
      markWord(keyword.word, on);
    };
    item.addEventListener('click', toggle);
    item.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle();
      }
    });
    list.appendChild(item);
  }
}

function drawLabels(results) {
  const box = $('labels');
  box.replaceChildren();
  for (const { model, labels } of results) {
    const section = document.createElement('div');
    section.className = 'model';
    const title = document.createElement('h3');
    title.textContent = model;
    const list = document.createElement('ol');
    list.className = 'bars';
    for (const label of labels) {
      const item = bar(label.label, label.probability || 0, 1);
      item.dataset.label = label.label;
      list.appendChild(item);
    }
    section.append(title, list);
    box.appendChild(section);
  }
}

function shellQuote(text) {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function drawCommands(request, ms) {
  const body = JSON.stringify(request);
  $('curl').textContent = `curl -d ${shellQuote(body)} ${location.origin}/v1/segment`;
  $('grpcurl').textContent = `grpcurl -plaintext -d ${shellQuote(body)} ${location.host} `
    + 'textanalysis.v1.TextAnalysis/Segment';
  $('latency').textContent = `(Segment answered in ${ms.toFixed(1)} ms)`;
}

function configName(mode, profile) {
  return `${MODE_NAMES[mode] || mode}, profile ${profile || 'default'}`;
}

async function analyze() {
  showError(null);
  setStatus('busy', 'analysing…');
  const started = performance.now();
  const mode = $('mode').value;
  const profile = $('profile').value;
  const modeB = $('mode-b').value;
  const profileB = $('profile-b').value;
  try {
    if (!listed) await listModels();
    const request = segmentRequest(mode, profile);
    const segment = await api('/v1/segment', request);
    const tokens = segment.json.tokens || [];
    drawCommands(request, segment.ms);
    drawLegend(tokens);
    drawChips($('chips'), tokens, null);
    $('words-count').textContent = `(${tokens.length})`;
    const note = $('chips-note');
    note.hidden = tokens.length <= MAX_CHIPS;
    note.textContent = `Showing the first ${MAX_CHIPS} of ${tokens.length} words.`;

    const keywordRequest = common({
      text: request.text,
      method: $('method').value,
      topK: Number($('topk').value) || 10,
      mode: mode === 'ACCURATE' ? 'ACCURATE' : 'PRECISE',
    }, profile);
    const [keywords, labels, other] = await Promise.all([
      api('/v1/keywords', keywordRequest),
      Promise.all(models.map((m) => api('/v1/classify', common({ text: request.text, model: m }, profile))
        .then((r) => ({ model: m, labels: r.json.labels || [] })))),
      api('/v1/segment', segmentRequest(modeB, profileB)),
    ]);
    drawKeywords(keywords.json.keywords || []);
    drawLabels(labels);
    const b = other.json.tokens || [];
    const keys = (list) => new Set(list.map((t) => `${t.start || 0}:${t.end || 0}`));
    drawChips($('diff-a'), tokens, keys(b));
    drawChips($('diff-b'), b, keys(tokens));
    $('diff-a-title').textContent = `A: ${configName(mode, profile)}`;
    $('diff-b-title').textContent = `B: ${configName(modeB, profileB)}`;
    const differs = document.querySelectorAll('#diff-a .differs').length;
    $('diff-summary').textContent = `(${differs} of ${tokens.length} words of A differ from B)`;
    setStatus('done', `done in ${(performance.now() - started).toFixed(0)} ms`);
  } catch (error) {
    showError(error);
    setStatus('error', 'failed');
  }
}

function fillProfiles(names) {
  for (const id of ['profile', 'profile-b']) {
    const select = $(id);
    for (const name of names) {
      if (name === 'default' || name === '') continue;
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    }
  }
}

/** The models to classify with and the profiles to choose from, as `ListModels` gives them. */
async function listModels() {
  const answer = await api('/v1/models');
  models = (answer.json.models || []).map((m) => m.name);
  fillProfiles((answer.json.profiles || []).map((p) => p.profile));
  listed = true;
}

async function start() {
  $('analyze').addEventListener('click', analyze);
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) analyze();
  });
  for (const button of document.querySelectorAll('button.copy')) {
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText($(button.dataset.copy).textContent);
        button.textContent = 'Copied';
      } catch (_) {
        button.textContent = 'Select and copy';
      }
    });
  }
  try {
    const example = await fetch('/playground/example.txt');
    if (example.ok) $('text').value = (await example.text()).trim();
    await listModels();
  } catch (error) {
    showError(error);
    setStatus('ready', 'ready');
    return;
  }
  setStatus('ready', 'ready');
  // The example, analysed at once: the page shows what it does before anything is typed.
  await analyze();
}

start();
