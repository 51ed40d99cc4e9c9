// The alert list: the alert patches of the page's date filter, newest first (OGC API Features:
// ogc/collections/patches/items), and a link to download them as GeoJSON. A click on a row zooms the map to that
// patch and outlines it. app.js announces each filter with an 'nrtc:filter' event and exposes the map on window.nrtcMap.map.
(function () {
  'use strict';
  const LIST_LIMIT = 500;
  // The service's largest page (OgcFeatures.MaxLimit).
  const DOWNLOAD_LIMIT = 10000;
  const state = window.nrtcMap;
  const map = state.map;
  // Read by the browser test: filters answered, the selected patch, and any error.
  const patches = state.patches = { loaded: 0, selected: null, error: null };
  const list = document.querySelector('#patch-list tbody');
  const count = document.getElementById('patch-count');
  const download = document.getElementById('patch-download');
  const outline = L.geoJSON(null, { style: { color: '#d7191c', weight: 3, fill: false } }).addTo(map);
  let latest = 0;

  const itemsUrl = (since, until, limit, extra) =>
    'ogc/collections/patches/items?' + new URLSearchParams(Object.assign({ datetime: `${since}/${until}`, limit: limit }, extra));

  function show(since, until) {
    const request = ++latest;
    download.href = itemsUrl(since, until, DOWNLOAD_LIMIT, { f: 'geojson-download' });
    download.hidden = false;
    fetch(itemsUrl(since, until, LIST_LIMIT))
      .then(r => r.json().then(body => r.ok ? body : Promise.reject(new Error(body.description))))
      .then(page => {
        // A slower answer to an earlier filter must not replace a later one.
        if (request !== latest) return;
        outline.clearLayers();
        patches.selected = null;
        list.replaceChildren(...page.features.map(row));
        const n = page.numberMatched;
        count.textContent = `${n} alert patch${n === 1 ? '' : 'es'} in this period` +
          (n > page.numberReturned ? `, the newest ${page.numberReturned} listed` : '') +
          (n > DOWNLOAD_LIMIT ? `; the download holds the newest ${DOWNLOAD_LIMIT}` : '');
        patches.loaded++;
      })
      .catch(err => {
        patches.error = String(err);
        count.textContent = `Alert patches could not be loaded: ${err.message}`;
      });
  }

  function row(feature) {
    const p = feature.properties;
    const tr = document.createElement('tr');
    tr.dataset.id = feature.id;
    tr.title = `${p.id} (tile ${p.tile}): ${p.pixels} pixels detected ${p.first_date} to ${p.last_date}` +
      (p.magnitude === null ? '' : `, mean magnitude ${p.magnitude}`);
    for (const text of [p.last_date, p.area_ha.toFixed(2), p.confidence === null ? '–' : p.confidence]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.addEventListener('click', () => select(feature, tr));
    return tr;
  }

  function select(feature, tr) {
    outline.clearLayers();
    outline.addData(feature);
    map.fitBounds(outline.getBounds(), { padding: [40, 40] });
    for (const other of list.querySelectorAll('tr.selected')) other.classList.remove('selected');
    tr.classList.add('selected');
    patches.selected = feature.id;
  }

  document.addEventListener('nrtc:filter', (e) => show(e.detail.since, e.detail.until));
})();
