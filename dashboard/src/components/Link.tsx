import type { ComponentChildren } from 'preact';
import { linkClick } from '../lib/router';

interface Props {
  href: string;
  class?: string;
  title?: string;
  children: ComponentChildren;
  'aria-current'?: 'page' | undefined;
  'data-testid'?: string;
}

/** An in-app link: a real `<a href>` (open in new tab works) that navigates without reloading. */
export function Link(props: Props) {
  const { href, children, ...rest } = props;
  return (
    <a href={href} onClick={(e) => linkClick(e, href)} {...rest}>
      {children}
    </a>
  );
}

/**
 * A link to a URL that came from a browser. Only http(s) URLs become links
 * (see safeHref); anything else, `javascript:` included, is shown as plain text.
 */
export function ExternalUrl(props: { url: string | null | undefined; safe: string | null; class?: string }) {
  const text = props.url ?? '';
  if (props.safe == null) return <span class={props.class}>{text}</span>;
  return (
    <a class={props.class} href={props.safe} target="_blank" rel="noopener noreferrer nofollow">
      {text}
    </a>
  );
}

/**
 * A link out of the dashboard with a label of its own (e.g. to the user's
 * tracing tool): `href` must have come through safeHref; without one, nothing.
 */
export function ExternalLink(props: { href: string | null; class?: string; children: ComponentChildren; 'data-testid'?: string }) {
  if (props.href == null) return null;
  return (
    <a class={props.class} href={props.href} target="_blank" rel="noopener noreferrer" data-testid={props['data-testid']}>
      {props.children}
      <span class="visually-hidden"> (opens in a new tab)</span>
    </a>
  );
}
