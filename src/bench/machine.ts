/** What machine the figures come from: kernel, CPU, cores, and the AES the kernel can offer eBPF. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { MachineInfo } from './types.js';

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function machineInfo(): MachineInfo {
  const cpuinfo = read('/proc/cpuinfo');
  const crypto = read('/proc/crypto');
  const drivers = new Set<string>();
  let gcm = false;
  // /proc/crypto is blocks of "key : value" lines; pair each block's name with its driver.
  for (const block of crypto.split(/\n\s*\n/)) {
    const name = /^name\s*:\s*(.+)$/m.exec(block)?.[1]?.trim();
    const driver = /^driver\s*:\s*(.+)$/m.exec(block)?.[1]?.trim();
    if (name === 'aes' && driver) drivers.add(driver);
    if (name !== undefined && /gcm/.test(name)) gcm = true;
  }
  const cpus = os.cpus();
  return {
    kernel: `${os.type()} ${os.release()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    cpuAesNi: /^flags\s*:.*\baes\b/m.test(cpuinfo),
    kernelAesDrivers: [...drivers].sort(),
    kernelGcm: gcm,
  };
}
