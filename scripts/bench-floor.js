// The benchmark's floor, loaded through tools/register.js (see scripts/bench.ts).
require('cdk8s');
require('cdk8s-plus-27');
require('yaml');
process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
