/**
 * Schema version 6: the container a process ran in (id and name, from its cgroup and the runtime) and its pid inside
 * the container's pid namespace (`record --container`, docs/containers.md). NULL for host processes and in rows
 * written before v6.
 */
export const migration006 = `
ALTER TABLE processes ADD COLUMN container_id TEXT;
ALTER TABLE processes ADD COLUMN container_name TEXT;
ALTER TABLE processes ADD COLUMN ns_pid INTEGER;
`;
