/**
 * The compliance controls rules map to (a rule's `meta.controls`): one table, so that every rule
 * names a control the same way and the renderers can group findings by control. Each mapping is
 * justified, with its source, in the rule's docs/rules/<rule>.md ("Compliance"). An id that could
 * not be confirmed from a source is not listed here.
 */
import type { ControlRef } from '../model/types.js';

/**
 * The frameworks, as every output names them (short: every finding of the security formats
 * carries them): NIST SP 800-53 Revision 5; PCI DSS version 4.0; the CIS Amazon Web Services
 * Compute Services Benchmark v1.0.0; ISO/IEC 27001:2022 Annex A; the ASD Essential Eight.
 */
export const FRAMEWORKS = {
  nist: 'NIST SP 800-53 r5',
  pci: 'PCI DSS v4.0',
  cis: 'CIS AWS Compute v1.0.0',
  iso: 'ISO/IEC 27001:2022',
  e8: 'ASD Essential Eight',
} as const;

const c = (framework: string, id: string, title: string): ControlRef => Object.freeze({ framework, id, title });

export const CONTROLS = {
  nistCm2: c(FRAMEWORKS.nist, 'CM-2', 'Baseline Configuration'),
  nistCm6: c(FRAMEWORKS.nist, 'CM-6', 'Configuration Settings'),
  nistCm8: c(FRAMEWORKS.nist, 'CM-8', 'System Component Inventory'),
  nistSi2: c(FRAMEWORKS.nist, 'SI-2', 'Flaw Remediation'),
  pci633: c(FRAMEWORKS.pci, '6.3.3', 'System components are protected from known vulnerabilities by installing applicable security patches/updates'),
  cis213: c(FRAMEWORKS.cis, '2.1.3', 'Ensure Only Approved AMIs (Images) are Used'),
  cis214: c(FRAMEWORKS.cis, '2.1.4', 'Ensure Images (AMI) are not older than 90 days'),
  cis215: c(FRAMEWORKS.cis, '2.1.5', 'Ensure Images are not Publicly Available'),
  isoA88: c(FRAMEWORKS.iso, 'A.8.8', 'Management of technical vulnerabilities'),
  isoA89: c(FRAMEWORKS.iso, 'A.8.9', 'Configuration management'),
  e8PatchOs: c(FRAMEWORKS.e8, 'Patch operating systems', 'Patch operating systems'),
  e8PatchApps: c(FRAMEWORKS.e8, 'Patch applications', 'Patch applications'),
} as const;

/** A control in one short string, for flat outputs (CSV, ASFF): `NIST SP 800-53 r5 CM-2`. */
export function controlLabel(x: Pick<ControlRef, 'framework' | 'id'>): string {
  return `${x.framework} ${x.id}`;
}
