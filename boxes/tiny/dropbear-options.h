/* Dropbear's localoptions.h for the tiny box: overrides default_options.h (see dropbear's INSTALL).
 * vm logs in with the per-machine key it puts in /root/.ssh/authorized_keys at `vm up`; the box has
 * no passwords (root's is locked), so password logins are compiled out. */
#define DROPBEAR_SVR_PASSWORD_AUTH 0
/* No sftp-server in the box: `scp -O` (the scp protocol, served by the scp applet here) copies files. */
#define DROPBEAR_SFTPSERVER 0
#define DROPBEAR_X11FWD 0
/* One host key, made at first boot by /init: the key vm pins in the machine's known_hosts. */
#define ED25519_PRIV_FILENAME "/etc/dropbear/dropbear_ed25519_host_key"
#define DEFAULT_PATH "/usr/bin:/bin"
#define DEFAULT_ROOT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
