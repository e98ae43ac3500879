#!/usr/bin/env python3
"""A real pseudo-terminal for tests: runs a command with a new pty as its stdin, stdout and stderr,
copies what arrives on our stdin to the terminal (as if typed) and what the terminal shows to our
stdout. The pty is nobody's controlling terminal, as a container's is before its runtime gives it
to PID 1: prefix the command with `setsid -c` (what runc does for PID 1) to make it the command's. Lines on fd 3 control the terminal: `winsize ROWS COLS`
resizes it (the kernel sends SIGWINCH to its foreground process group). Exits with the command's
status (128+n when killed by signal n), after everything the terminal showed has been copied."""
import fcntl, os, select, struct, subprocess, sys, termios

def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

def main():
    args = sys.argv[1:]
    if args[:1] == ['--']:
        args = args[1:]
    try:
        os.fstat(3)  # before the pty is opened: it could get fd 3
        control_fd = [3]
    except OSError:
        control_fd = []
    master, slave = os.openpty()
    winsize(master, 24, 80)
    child = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    inputs = [0, master] + control_fd
    control = b''
    while master in inputs:
        ready, _, _ = select.select(inputs, [], [], 0.5)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: no process has the terminal open any more
                data = b''
            if fd == master:
                if not data:
                    inputs.remove(master)
                    continue
                os.write(1, data)
            elif fd == 0:
                if not data:
                    inputs.remove(0)  # our stdin closed: the terminal stays open
                    continue
                os.write(master, data)
            else:
                if not data:
                    inputs.remove(3)
                    continue
                control += data
                while b'\n' in control:
                    line, control = control.split(b'\n', 1)
                    words = line.decode().split()
                    if words[:1] == ['winsize']:
                        winsize(master, int(words[1]), int(words[2]))
    code = child.wait()
    sys.exit(128 - code if code < 0 else code)

main()
