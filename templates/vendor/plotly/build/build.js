// A plotly.js bundle with only the trace types analysis/figures.py draws. The settings are those
// of plotly.js's own esbuild-config.js, so the result matches its partial bundles (dist/*.min.js).
// Usage: npm ci && npm run build   (writes ../plotly.min.js)
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');

// Keep in step with figures.py; tests/test_browser.py checks that every type used is here.
const TRACES = ['scatter', 'bar', 'heatmap', 'sankey', 'scatter3d'];
const version = require('plotly.js/package.json').version;
const entry = path.join(__dirname, '.entry.js');
fs.writeFileSync(entry, "var Plotly = require('plotly.js/lib/core');\nPlotly.register([" +
    TRACES.map((t) => `require('plotly.js/lib/${t}')`).join(', ') + ']);\nmodule.exports = Plotly;\n');

esbuild.build({
    entryPoints: [entry], outfile: process.argv[2] || path.join(__dirname, '..', 'plotly.min.js'),
    format: 'iife', globalName: 'Plotly', bundle: true, minify: true, sourcemap: false, legalComments: 'eof',
    banner: { js: `/**\n* plotly.js v${version} (custom bundle: ${TRACES.join(', ')})\n* Copyright 2012-2026, Plotly, Inc.\n* All rights reserved.\n* Licensed under the MIT license\n*/` },
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016', logLevel: 'warning',
}).then(() => fs.unlinkSync(entry), () => { fs.unlinkSync(entry); process.exit(1); });
