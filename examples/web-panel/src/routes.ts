/** Every URL of the panel: method, path, handler, and whether it needs a logged-in session. */
import type { Handler } from "./context.js";
import { postCancel, postConfirm, showConfirm } from "./pages/confirm.js";
import { postHostname, showHostname } from "./pages/hostname.js";
import { postAddHost, postDeleteHost, postEditHost, showEditHost, showHosts } from "./pages/hosts.js";
import { postLogin, postLogout, showLogin } from "./pages/login.js";
import { jobJson, postInstall, showPackages } from "./pages/packages.js";
import { postServiceAction, servicesJson, showServices } from "./pages/services.js";

export interface Route {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly handler: Handler;
  /** Reachable without logging in (the login form itself). */
  readonly public?: boolean;
  /** Answers JSON (so a missing login is a 401, not a redirect). */
  readonly json?: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: "GET", path: "/login", handler: showLogin, public: true },
  { method: "POST", path: "/login", handler: postLogin, public: true },
  { method: "POST", path: "/logout", handler: postLogout },
  { method: "GET", path: "/services", handler: showServices },
  { method: "GET", path: "/services/status.json", handler: servicesJson, json: true },
  { method: "POST", path: "/services/action", handler: postServiceAction },
  { method: "GET", path: "/hosts", handler: showHosts },
  { method: "POST", path: "/hosts/add", handler: postAddHost },
  { method: "GET", path: "/hosts/edit", handler: showEditHost },
  { method: "POST", path: "/hosts/edit", handler: postEditHost },
  { method: "POST", path: "/hosts/delete", handler: postDeleteHost },
  { method: "GET", path: "/hostname", handler: showHostname },
  { method: "POST", path: "/hostname", handler: postHostname },
  { method: "GET", path: "/confirm", handler: showConfirm },
  { method: "POST", path: "/confirm", handler: postConfirm },
  { method: "POST", path: "/confirm/cancel", handler: postCancel },
  { method: "GET", path: "/packages", handler: showPackages },
  { method: "POST", path: "/packages/install", handler: postInstall },
  { method: "GET", path: "/packages/job.json", handler: jobJson, json: true },
];
