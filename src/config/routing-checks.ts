// Cross-checks of the traffic sections: every region they name exists, proxies and addresses parse,
// the policy chain names each rule once. Called by resolveConfig; each issue carries its exact path.

import type { z } from 'zod';
import { parseCidr, parseIp } from '../core/ip-trust.ts';
import { unknownRegion } from './region-issue.ts';
import type { dnsSchema, edgeSchema, routingSchema } from './routing-schema.ts';

interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface TrafficSections {
  readonly regions: ReadonlyArray<{ readonly name: string }>;
  readonly routing: z.output<typeof routingSchema>;
  readonly edges: ReadonlyArray<z.output<typeof edgeSchema>>;
  readonly dns: z.output<typeof dnsSchema>;
}

export function routingIssues(config: TrafficSections): Issue[] {
  const names = config.regions.map((r) => r.name);
  const issues: Issue[] = [];
  const region = (path: string, name: string) => {
    const issue = unknownRegion(names, path, name);
    if (issue) issues.push(issue);
  };
  const { routing, dns } = config;
  routing.policy.forEach((rule, i) => {
    if (routing.policy.indexOf(rule) !== i) {
      issues.push({ path: `routing.policy[${i}]`, message: `'${rule}' appears twice: name each rule once` });
    }
  });
  routing.trustedProxies.forEach((cidr, i) => {
    if (parseCidr(cidr) === undefined) {
      issues.push({
        path: `routing.trustedProxies[${i}]`,
        message: `expected an IP address or CIDR such as '10.0.0.0/8', got ${JSON.stringify(cidr)}`,
      });
    }
  });
  for (const [country, list] of Object.entries(routing.countries)) {
    list.forEach((name, i) => region(`routing.countries.${country}[${i}]`, name));
  }
  for (const name of Object.keys(routing.weights)) region(`routing.weights.${name}`, name);
  routing.failoverOrder.forEach((name, i) => region(`routing.failoverOrder[${i}]`, name));
  for (const [zone, list] of Object.entries(routing.residency.zones)) {
    list.forEach((name, i) => region(`routing.residency.zones.${zone}[${i}]`, name));
  }
  const edgeNames = config.edges.map((e) => e.name);
  config.edges.forEach((edge, i) => {
    if (edgeNames.indexOf(edge.name) !== i) {
      issues.push({
        path: `edges[${i}].name`,
        message: `duplicate edge '${edge.name}': names must be unique`,
      });
    }
    for (const name of Object.keys(edge.regionUrls)) region(`edges[${i}].regionUrls.${name}`, name);
  });
  for (const [name, answer] of Object.entries(dns.answers)) {
    region(`dns.answers.${name}`, name);
    answer.a.forEach((ip, i) => {
      if (parseIp(ip)?.version !== 4 || ip.includes(':')) {
        issues.push({
          path: `dns.answers.${name}.a[${i}]`,
          message: `expected an IPv4 address, got ${JSON.stringify(ip)}`,
        });
      }
    });
    answer.aaaa.forEach((ip, i) => {
      if (!ip.includes(':') || parseIp(ip) === undefined) {
        issues.push({
          path: `dns.answers.${name}.aaaa[${i}]`,
          message: `expected an IPv6 address, got ${JSON.stringify(ip)}`,
        });
      }
    });
  }
  if (dns.listen !== undefined && !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(dns.listen)) {
    issues.push({
      path: 'dns.listen',
      message: `expected 'host:port' such as '127.0.0.1:5353', got ${JSON.stringify(dns.listen)}`,
    });
  }
  return issues;
}
