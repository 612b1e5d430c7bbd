import Foundation

// A findings file over RLIMIT_FSIZE must fail the write (EFBIG, retried like ENOSPC), not kill the process.
signal(SIGXFSZ, SIG_IGN)
await ConnwatchCommand.start()
