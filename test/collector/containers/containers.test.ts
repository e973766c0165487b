// The container of a cgroup path, and paths resolved inside a container's root without escaping to the host's files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupPathOf, containerOfCgroup, nsPidOf } from '../../../src/collector/containers/cgroup';
import { resolveInRoot } from '../../../src/collector/containers/container-libraries';
import { containerLabel } from '../../../src/present';

const ID = '975f4e89b53d2bf0b7c8bcfd7b2d2115b458c7e5df3072a79cff75a8823e205a';
const ID2 = 'cef79d43f5ee04e69a9739f76dcdeae5c28e4ef8f6597f16c5515921d4f46f32';

describe('containerOfCgroup', () => {
  it.each([
    // Docker, cgroupfs and systemd drivers (the first as seen on this machine's hybrid hierarchy)
    [`/docker/${ID}`, { id: ID, runtime: 'docker', cgroup: `/docker/${ID}` }],
    [`/system.slice/docker-${ID}.scope`, { id: ID, runtime: 'docker', cgroup: `/system.slice/docker-${ID}.scope` }],
    // a process in a cgroup below the container's: the container's own cgroup is the scope
    [`/docker/${ID}/init.scope`, { id: ID, runtime: 'docker', cgroup: `/docker/${ID}` }],
    [`/machine.slice/libpod-${ID}.scope/container`, { id: ID, runtime: 'podman', cgroup: `/machine.slice/libpod-${ID}.scope` }],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-${ID}.scope`,
      { id: ID, runtime: 'containerd', cgroup: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-${ID}.scope` }],
    [`/kubepods/besteffort/pod1/${ID}`, { id: ID, runtime: null, cgroup: `/kubepods/besteffort/pod1/${ID}` }],
    // docker-in-docker: the inner container names the process
    [`/docker/${ID}/docker/${ID2}`, { id: ID2, runtime: 'docker', cgroup: `/docker/${ID}/docker/${ID2}` }],
  ])('%s', (cg, want) => {
    expect(containerOfCgroup(cg)).toEqual(want);
  });

  it.each(['/', '/user.slice/user-0.slice/session-1.scope', '/system.slice/docker.service', `/docker/${ID.slice(0, 63)}`])('host cgroup %s', (cg) => {
    expect(containerOfCgroup(cg)).toBeNull();
  });

  it('this process is on the host, its pid the same in its namespace', () => {
    const cg = cgroupPathOf(process.pid);
    expect(cg).not.toBeNull();
    expect(containerOfCgroup(cg!)).toBeNull();
    expect(nsPidOf(process.pid)).toBe(process.pid);
    expect(cgroupPathOf(2 ** 22 + 1)).toBeNull();
  });
});

describe('resolveInRoot', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-root-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
  fs.writeFileSync(path.join(root, 'usr/lib/x86_64-linux-gnu/libssl.so.3.0.1'), 'x');
  // usrmerge: /lib -> usr/lib (relative), and an absolute link that the kernel would resolve against the host's root
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  fs.symlinkSync('/usr/lib/x86_64-linux-gnu/libssl.so.3.0.1', path.join(root, 'usr/lib/x86_64-linux-gnu/libssl.so.3'));
  fs.symlinkSync('/../../../etc', path.join(root, 'escape'));
  fs.symlinkSync('loop2', path.join(root, 'loop1'));
  fs.symlinkSync('loop1', path.join(root, 'loop2'));

  it('follows relative and absolute links inside the root', () => {
    expect(resolveInRoot(root, '/lib/x86_64-linux-gnu/libssl.so.3')).toBe('/usr/lib/x86_64-linux-gnu/libssl.so.3.0.1');
  });

  it('never leaves the root: .. stops there, as it does inside the container', () => {
    expect(resolveInRoot(root, '/escape')).toBe(fs.existsSync(path.join(root, 'etc')) ? '/etc' : null);
    expect(resolveInRoot(root, '/../../usr/lib')).toBe('/usr/lib');
  });

  it('a missing file or a link loop is null', () => {
    expect(resolveInRoot(root, '/usr/lib/nothing.so')).toBeNull();
    expect(resolveInRoot(root, '/loop1')).toBeNull();
  });
});

describe('containerLabel', () => {
  it('names the container and the pid inside it; nothing for the host', () => {
    expect(containerLabel({ containerId: ID, containerName: 'devbox', nsPid: 7 })).toBe('[devbox pid 7]');
    expect(containerLabel({ containerId: ID, containerName: null, nsPid: null })).toBe(`[${ID.slice(0, 12)}]`);
    expect(containerLabel({ containerId: null, containerName: null, nsPid: null })).toBe('');
  });
});
