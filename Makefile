# machina: build, install and uninstall for packagers and administrators.
#
#   make                       build (native addons and TypeScript; npm deps must be installed:
#                              npm run setup, or npm ci)
#   make install               install under PREFIX (default /usr/local) and SYSCONFDIR (/etc)
#   make install DESTDIR=/tmp/stage PREFIX=/usr    stage a package's files
#   make uninstall             remove what install laid down (never the policy or the secret)
#
# What goes where is listed in the README ("Packaging"). An existing policy or
# secret is never overwritten, and never removed.

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib/machina
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INITDIR ?= $(SYSCONFDIR)/init.d
DEFAULTDIR ?= $(SYSCONFDIR)/default
LOGROTATEDIR ?= $(SYSCONFDIR)/logrotate.d
CONFDIR ?= $(SYSCONFDIR)/machina
# The group of the web application that uses machinad: it owns the socket
# (0660) and may read the secret (0640). Empty: root only.
GROUP ?= www-data
# The node that runs machinad and machina (recorded in the wrappers: init
# scripts and units run with a short PATH).
NODE ?= $(shell command -v node)
DESTDIR ?=

INSTALL ?= install
SED_PATHS = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@NODE@|$(NODE)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@GROUP@|$(GROUP)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INITDIR@|$(INITDIR)|g'

# The bundles (scripts/bundle.mjs): each program is one file, which is what makes it start fast.
SERVER_MAIN = $(LIBDIR)/node_modules/@machina/server/bundle/machinad.cjs
# The node options machinad runs with (packages/server/src/node-flags.ts says why; a test keeps the two equal).
MACHINAD_NODE_FLAGS = --max-semi-space-size=2
CLIENT_MAIN = $(LIBDIR)/node_modules/@machina/client/bundle/machina.cjs

.PHONY: all build install uninstall check-node

all: build

build: check-node
	$(NODE) scripts/build.mjs

check-node:
	@test -n "$(NODE)" && test -x "$(NODE)" || { echo "make: node not found; set NODE=/path/to/node" >&2; exit 1; }

install: build
	@case "$(NODE)" in /*) ;; *) echo "make: NODE must be an absolute path" >&2; exit 1 ;; esac
	$(INSTALL) -d -m 0755 $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(INITDIR) $(DESTDIR)$(DEFAULTDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)$(LOGROTATEDIR)
	$(NODE) scripts/install-lib.mjs $(DESTDIR)$(LIBDIR)
# Small wrappers rather than symlinks: they name node by its absolute path and
# work from any directory, with any PATH. The daemon's stack traces (in its log)
# point into the TypeScript sources through the bundle's source map (mapped when logged).
	printf '#!/bin/sh\n# machinad (installed by make install)\nexec "%s" %s "%s" "$$@"\n' '$(NODE)' '$(MACHINAD_NODE_FLAGS)' '$(SERVER_MAIN)' > $(DESTDIR)$(SBINDIR)/machinad
	printf '#!/bin/sh\n# machina (installed by make install)\nexec "%s" "%s" "$$@"\n' '$(NODE)' '$(CLIENT_MAIN)' > $(DESTDIR)$(BINDIR)/machina
	chmod 0755 $(DESTDIR)$(SBINDIR)/machinad $(DESTDIR)$(BINDIR)/machina
	$(SED_PATHS) init/machina > $(DESTDIR)$(INITDIR)/machina
	chmod 0755 $(DESTDIR)$(INITDIR)/machina
	$(SED_PATHS) init/machina.socket > $(DESTDIR)$(SYSTEMDUNITDIR)/machina.socket
	$(SED_PATHS) init/machina.service > $(DESTDIR)$(SYSTEMDUNITDIR)/machina.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/machina.socket $(DESTDIR)$(SYSTEMDUNITDIR)/machina.service
# Rotation of /var/log/machina/*.log (the init script's logs); replaced by each install, like the
# init script it calls. (The Debian package gets it from here too: no debian/machina.logrotate.)
	$(SED_PATHS) init/machina.logrotate > $(DESTDIR)$(LOGROTATEDIR)/machina
	chmod 0644 $(DESTDIR)$(LOGROTATEDIR)/machina
# Configuration the administrator may have edited is never overwritten.
	@if [ -e $(DESTDIR)$(DEFAULTDIR)/machina ]; then \
		echo "make: keeping the existing $(DESTDIR)$(DEFAULTDIR)/machina"; \
	else \
		$(SED_PATHS) init/machina.default > $(DESTDIR)$(DEFAULTDIR)/machina && chmod 0644 $(DESTDIR)$(DEFAULTDIR)/machina; \
	fi
	@if [ -e $(DESTDIR)$(CONFDIR)/policy.toml ]; then \
		echo "make: keeping the existing policy $(DESTDIR)$(CONFDIR)/policy.toml"; \
	else \
		$(SED_PATHS) init/policy.toml > $(DESTDIR)$(CONFDIR)/policy.toml && chmod 0644 $(DESTDIR)$(CONFDIR)/policy.toml; \
	fi
# A secret only on the machine itself: a staged package must not carry one
# (the init script, or the packager's postinst, makes it on the target).
	@if [ -z "$(DESTDIR)" ] && [ ! -e $(CONFDIR)/secret ]; then \
		if [ -n "$(GROUP)" ] && ! getent group "$(GROUP)" >/dev/null; then \
			echo "make: group $(GROUP) does not exist; no secret generated (set GROUP=, or create the group and start machina)" >&2; \
		else \
			( umask 077 && $(SBINDIR)/machinad keygen > $(CONFDIR)/secret.new ) && \
			if [ -n "$(GROUP)" ]; then chown root:$(GROUP) $(CONFDIR)/secret.new && chmod 0640 $(CONFDIR)/secret.new; \
			else chmod 0600 $(CONFDIR)/secret.new; fi && \
			mv $(CONFDIR)/secret.new $(CONFDIR)/secret && echo "make: generated $(CONFDIR)/secret"; \
		fi; \
	fi

uninstall:
	rm -rf $(DESTDIR)$(LIBDIR)
	rm -f $(DESTDIR)$(SBINDIR)/machinad $(DESTDIR)$(BINDIR)/machina
	rm -f $(DESTDIR)$(INITDIR)/machina $(DESTDIR)$(DEFAULTDIR)/machina $(DESTDIR)$(LOGROTATEDIR)/machina
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/machina.socket $(DESTDIR)$(SYSTEMDUNITDIR)/machina.service
	@if [ -e $(DESTDIR)$(CONFDIR)/policy.toml ] || [ -e $(DESTDIR)$(CONFDIR)/secret ]; then \
		echo "make: kept $(DESTDIR)$(CONFDIR) (the policy and the secret are yours to remove)"; \
	fi
