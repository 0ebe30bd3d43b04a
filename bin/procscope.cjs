#!/usr/bin/env node
// The `procscope` command as npm installs it: runs the built CLI bundle.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('procscope: the CLI is not built yet. Run `npm run build` in ' + path.dirname(__dirname) + ' first.\n');
  process.exit(1);
}
require(cli);
