// Placeholder live view: connects to /ws (protocol v1), shows the latest figures, reconnects after a drop.
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 10000;

const $ = (id) => document.getElementById(id);
const show = (id, value, digits) => {
  $(id).textContent = value === null || value === undefined ? '—' : value.toFixed(digits);
};

function showMetrics(m) {
  show('hr', m?.meanHrBpm, 0);
  show('rmssd', m?.rmssdMs, 0);
  show('lnrmssd', m?.lnRmssd, 2);
  show('hf', m?.hfMs2, 0);
  show('breathing', m?.respirationRateBpm, 1);
  $('quality').textContent = m ? (m.quality.reason ?? m.quality.spectralReason ?? '') : '';
}

function showStatus(status) {
  if (!status) return;
  const battery = status.batteryPct === undefined ? '' : ` · battery ${status.batteryPct} %`;
  $('status').textContent = (status.reason ? `${status.state}: ${status.reason}` : status.state) + battery;
  $('status').dataset.state = status.state;
}

function onMessage(msg) {
  switch (msg.type) {
    case 'hello':
      $('demo').hidden = !msg.source.demo;
      $('recording').hidden = msg.recording;
      $('source').textContent = msg.source.label;
      $('connection').textContent = 'connected';
      $('connection').dataset.state = 'up';
      showStatus(msg.status);
      showMetrics(msg.session?.latest ?? null);
      break;
    case 'status':
      showStatus(msg.status);
      break;
    case 'metrics':
      showMetrics(msg);
      break;
    case 'recording':
      $('recording').hidden = msg.state !== 'stopped';
      break;
  }
}

let delayMs = RECONNECT_MIN_MS;
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.addEventListener('open', () => {
    delayMs = RECONNECT_MIN_MS;
  });
  ws.addEventListener('message', (event) => onMessage(JSON.parse(event.data)));
  ws.addEventListener('close', () => {
    $('connection').textContent = 'not connected';
    $('connection').dataset.state = 'down';
    $('status').textContent = '';
    showMetrics(null); // old figures on a live screen would mislead
    setTimeout(connect, delayMs);
    delayMs = Math.min(delayMs * 2, RECONNECT_MAX_MS);
  });
}
connect();
