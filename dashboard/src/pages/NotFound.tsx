import { Link } from '../components/Link';
import { Logo } from '../components/Layout';

const TEXT = {
  page: ['Page not found', 'Nothing lives at this address. '],
  app: ['No such app', 'It may have been removed, or the link is mistyped. '],
  admin: ['For admins only', 'Your account cannot open this page: ask an admin. '],
} as const;

export function NotFoundPage(props: { what?: 'page' | 'app' | 'admin' }) {
  const [title, text] = TEXT[props.what ?? 'page'];
  return (
    <div class="center-page">
      <Logo />
      <div class="state empty" data-testid={props.what === 'admin' ? 'admins-only' : undefined}>
        <div class="state-title">{title}</div>
        <div class="state-text inline-links">
          {text}
          <Link href="/">Go to your apps</Link>
        </div>
      </div>
    </div>
  );
}
