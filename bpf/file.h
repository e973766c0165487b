/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * File activity records (types 16..31). Decoded by src/collector/files/file-events.ts; the layouts are checked
 * against this header by the layout test (CHECKED_LAYOUTS in src/collector/decode/layout.ts).
 */
#ifndef AGENTSIGHT_FILE_H
#define AGENTSIGHT_FILE_H

#include "events.h"

#define EV_FILE_OP 16    /* a path operation: open, truncate, rename, unlink, rmdir, mkdir, chmod, link, symlink */
#define EV_FILE_WRITE 17 /* one successful write-family syscall on a regular file */
#define EV_FILE_UNTRACED 18 /* an io_uring request that changes files but whose path or size we cannot see */
#define EV_FILE_URING_DONE 19 /* the result of an io_uring path operation sent at submission (FILE_F_URING_PENDING) */

/* file_op_event.op */
enum file_op {
	FOP_OPEN = 1,     /* open/openat/openat2/creat; flags = open flags, fmode = f_mode of the opened file */
	FOP_TRUNCATE = 2, /* truncate(path) / ftruncate(fd) */
	FOP_RENAME = 3,   /* rename/renameat/renameat2: path -> path2; flags = renameat2 flags */
	FOP_UNLINK = 4,   /* unlink/unlinkat without AT_REMOVEDIR */
	FOP_RMDIR = 5,    /* rmdir, unlinkat with AT_REMOVEDIR */
	FOP_MKDIR = 6,    /* mkdir/mkdirat; mode */
	FOP_CHMOD = 7,    /* chmod/fchmod/fchmodat/fchmodat2; mode */
	FOP_LINK = 8,     /* link/linkat: existing path -> new path2 */
	FOP_SYMLINK = 9,  /* symlink/symlinkat: path = the link created, path2 = its target as given (not resolved) */
};

/* header.flags bits of file records */
#define FILE_F_RESOLVED 0x1      /* path is the kernel's own path of the opened file (dentry walk of the fd) */
#define FILE_F_BASE_CLIPPED 0x2  /* base deeper/longer than the walk limit: deepest components kept */
#define FILE_F_PATH_CLIPPED 0x4  /* user string did not fit PATH_MAX_BYTES */
#define FILE_F_BASE2_CLIPPED 0x8
#define FILE_F_PATH2_CLIPPED 0x10
#define FILE_F_NO_BASE 0x20      /* relative path but its directory could not be walked (bad dirfd) */
#define FILE_F_NOT_REG 0x40      /* the opened file is not a regular file (device, directory, fifo): O_TRUNC did nothing */
#define FILE_F_URING_PENDING 0x80 /* an io_uring request seen at submission: ret is not known yet, file_id is the
				   * request; its EV_FILE_URING_DONE (same tgid and request) carries the result */

/*
 * EV_FILE_OP. Header followed by payload: base (base_len bytes), path (path_len), base2 (base2_len), path2
 * (path2_len), none NUL-terminated. A relative path is relative to its base: the absolute path of the dirfd (or of
 * the cwd for AT_FDCWD), walked in the kernel at syscall exit. base_len = 0 means path is absolute already.
 */
struct file_op_event {
	struct event_header hdr;
	__u64 file_id; /* struct file pointer of the opened/ftruncated file (identity for later writes), else 0 */
	__s64 ret;     /* syscall result: fd or 0, -errno on failure */
	__u32 op;      /* enum file_op */
	__u32 flags;   /* open flags (O_*), renameat2 flags, unlinkat flags */
	__u32 mode;    /* create mode (open/creat/mkdir) or new mode (chmod) */
	__u32 fmode;   /* f_mode of the opened file: FMODE_CREATED tells the open created it */
	__u16 base_len;
	__u16 path_len;
	__u16 base2_len;
	__u16 path2_len;
	__u32 _pad;
	/* char payload[base_len + path_len + base2_len + path2_len]; */
};

/* file_write_event.how: which way the bytes reached the file */
enum file_write_how {
	FW_WRITE = 0,           /* write, pwrite64, writev, pwritev, pwritev2 */
	FW_COPY_FILE_RANGE = 1, /* copy_file_range into the file (coreutils cp, cat > f) */
	FW_SENDFILE = 2,        /* sendfile into the file */
	FW_SPLICE = 3,          /* splice from a pipe into the file */
	FW_FALLOCATE = 4,       /* fallocate: bytes = the range's length, mode = its mode (FALLOC_FL_*) */
	FW_IO_URING = 5,        /* an io_uring WRITE/WRITEV/WRITE_FIXED/WRITEV_FIXED/SPLICE completion */
	FW_CLONE = 6,           /* ioctl FICLONE/FICLONERANGE (reflink copy, cp on btrfs/xfs): bytes = the range cloned */
	FW_MMAP = 7,            /* a shared writable mmap of the file: bytes = the length mapped (what is stored through
				 * it is not seen) */
};

/*
 * EV_FILE_WRITE: one successful write-path syscall (or io_uring completion) on a regular file, see enum
 * file_write_how. path_len > 0 only the first time the kernel sees this file_id (a file opened before capture, or by
 * an untraced process and inherited); the collector otherwise knows file_id from the EV_FILE_OP that opened it.
 */
struct file_write_event {
	struct event_header hdr;
	__u64 file_id;
	__s64 bytes;   /* bytes written (> 0); for FW_FALLOCATE the length of the range */
	__s32 fd;      /* -1 for io_uring (the request's file, which may be a fixed file) */
	__u16 path_len;
	__u8 how;      /* enum file_write_how */
	__u8 mode;     /* FW_FALLOCATE: fallocate mode bits, else 0 */
	/* char path[path_len]; */
};

/*
 * EV_FILE_UNTRACED: an io_uring request of a traced process that can change files but is not recorded as a file
 * operation (rename/unlink/mkdir/symlink/link/ftruncate/xattr requests, opens into fixed-file slots, failed opens,
 * and any file write whose completion is not posted: IOSQE_CQE_SKIP_SUCCESS). Counted per process as a loss.
 */
struct file_untraced_event {
	struct event_header hdr;
	__s32 res;    /* the request's result (CQE res), 0 when seen at submission */
	__u8 opcode;  /* IORING_OP_* */
	__u8 at_submit; /* 1: seen at submission (its completion will not be posted) */
	__u16 _pad;
};

/* EV_FILE_URING_DONE: the completion of an io_uring path operation whose EV_FILE_OP went out at submission. */
struct file_uring_done_event {
	struct event_header hdr;
	__u64 req;   /* the request (struct io_kiocb pointer): file_id of its EV_FILE_OP */
	__s32 res;   /* the CQE's result: 0 or -errno */
	__u32 _pad;
};

/* Comm filter for `record -c COMM` (key: comm NUL-padded to 16 bytes) */
#define COMM_FILTER_LEN 16
/* comm_filter value: trace a process of any uid (record -c); any other value is the one uid to trace (the monitor). */
#define COMM_FILTER_ANY_UID 0xffffffffu

#endif
