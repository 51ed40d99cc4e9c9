// The node's web map: the node's map tiles over tile outlines, a detection-date filter and the legends.
// Everything is served by the node itself (no CDN, no base map from the internet).
(function () {
  'use strict';
  const DAY_MS = 86400000;
  // Read by the browser test: tiles loaded and failed, and whether the page finished setting up.
  const state = window.nrtcMap = { ready: false, freshness: false, tilesLoaded: 0, tileErrors: 0, error: null };

  // No fade: tiles appear fully drawn, also in screenshots.
  const map = L.map('map', { zoomControl: true, attributionControl: false, fadeAnimation: false });
  Object.defineProperty(state, 'map', { value: map }); // for alerts.js; not enumerable, so the state object stays plain data

  // The node's XYZ tiles (EPSG:3857, cached by ETag); {time} is the detection-date filter, empty for all dates.
  const tileLayer = (name) => L.tileLayer(`tiles/${name}/{z}/{x}/{y}.png?time={time}`, { time: '' });
  const maskLayer = tileLayer('mask');
  const dateLayer = tileLayer('detection_date');
  for (const layer of [maskLayer, dateLayer]) {
    layer.on('tileload', () => { state.tilesLoaded++; });
    layer.on('tileerror', () => { state.tileErrors++; });
  }
  const tileOutlines = L.geoJSON(null, {
    style: { color: '#1f4e9c', weight: 1.5, fill: false, dashArray: '4 3' },
    onEachFeature: (f, l) => l.bindTooltip(`${f.properties.tile}: ${f.properties.breaks} breaks`),
  });
  maskLayer.addTo(map);
  dateLayer.addTo(map);
  tileOutlines.addTo(map);
  L.control.layers(null, { 'Mask': maskLayer, 'Detection date': dateLayer, 'Tile outlines': tileOutlines }).addTo(map);
  L.control.scale().addTo(map);

  const legendUrl = (layer) => `wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=${layer}&FORMAT=image/png`;
  document.getElementById('legend-mask').src = legendUrl('mask');
  document.getElementById('legend-date').src = legendUrl('detection_date');

  const from = document.getElementById('from');
  const to = document.getElementById('to');
  const iso = (day) => new Date(day * DAY_MS).toISOString().slice(0, 10);
  const toDay = (text) => Math.round(Date.parse(text + 'T00:00:00Z') / DAY_MS);

  function applyFilter() {
    if (Number(from.value) > Number(to.value)) [from.value, to.value] = [to.value, from.value];
    const since = iso(Number(from.value)), until = iso(Number(to.value));
    document.getElementById('from-label').textContent = since;
    document.getElementById('to-label').textContent = until;
    const time = `${since}/${until}`;
    for (const layer of [maskLayer, dateLayer]) { layer.options.time = time; layer.redraw(); }
    fetch(`api/alerts?since=${since}&until=${until}&limit=1`).then(r => r.json()).then(page => {
      document.getElementById('alert-count').textContent = `${page.numberMatched} break pixels in this period`;
    });
    document.dispatchEvent(new CustomEvent('nrtc:filter', { detail: { since, until } })); // alerts.js lists the patches
  }
  from.addEventListener('change', applyFilter);
  to.addEventListener('change', applyFilter);

  map.on('click', (e) => {
    const size = map.getSize();
    const bounds = map.getBounds();
    const sw = L.CRS.EPSG3857.project(bounds.getSouthWest());
    const ne = L.CRS.EPSG3857.project(bounds.getNorthEast());
    const p = map.latLngToContainerPoint(e.latlng);
    const q = new URLSearchParams({
      SERVICE: 'WMS', VERSION: '1.3.0', REQUEST: 'GetFeatureInfo', LAYERS: 'mask,detection_date', QUERY_LAYERS: 'mask,detection_date',
      CRS: 'EPSG:3857', BBOX: [sw.x, sw.y, ne.x, ne.y].join(','), WIDTH: size.x, HEIGHT: size.y,
      I: Math.floor(p.x), J: Math.floor(p.y), INFO_FORMAT: 'application/json',
    });
    fetch('wms?' + q).then(r => r.json()).then(fc => {
      const f = fc.features[0];
      const html = f
        ? `<b>Tile</b> ${f.properties.tile} (row ${f.properties.row}, col ${f.properties.col})<br><b>Mask</b> ${f.properties.mask} – ${f.properties.mask_label}<br><b>Detected</b> ${f.properties.detection_date || 'no break'}`
        : 'No tile report here.';
      L.popup().setLatLng(e.latlng).setContent(html).openOn(map);
    });
  });

  // Data freshness from the node's metrics (api/freshness reads the instruments /metrics exports): last applied day, lag, quarantined.
  fetch('api/freshness').then(r => r.json()).then(f => {
    const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
    document.getElementById('freshness').textContent = !f.known
      ? `Data freshness not known: ${f.reason}.`
      : f.lastApplied === null
        ? `No day applied yet on this node's ${plural(f.tiles, 'tile')}.`
        : `Last applied day ${f.lastApplied}` + (f.oldestLastApplied !== f.lastApplied ? ` (oldest tile at ${f.oldestLastApplied})` : '') +
          (f.maxLagDays === null ? ', lag behind the archive unknown, ' : `, up to ${plural(f.maxLagDays, 'day')} behind the archive, `) +
          `${plural(f.quarantinedDays, 'quarantined day')}; ${plural(f.tiles, 'tile')} on this node.`;
    state.freshness = true;
  }).catch((err) => { state.error = String(err); });

  Promise.all([fetch('api/status').then(r => r.json()), fetch('api/tiles').then(r => r.json())]).then(([status, tiles]) => {
    tileOutlines.addData(tiles);
    if (tiles.features.length > 0) map.fitBounds(tileOutlines.getBounds(), { padding: [20, 20] });
    else map.setView([50, 10], 4);
    document.getElementById('summary').textContent =
      `${status.tiles} tiles, ${status.breaks} break pixels` + (status.lastDetection ? `, latest detection ${status.lastDetection}` : '');
    if (status.firstDetection && status.lastDetection) {
      for (const input of [from, to]) { input.min = toDay(status.firstDetection); input.max = toDay(status.lastDetection); }
      from.value = from.min;
      to.value = to.max;
      applyFilter();
    } else {
      document.getElementById('dates').disabled = true;
    }
    state.ready = true;
  }).catch((err) => {
    state.error = String(err);
    map.setView([50, 10], 4);
  });
})();
