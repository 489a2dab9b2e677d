import { Link } from '../components/Link';
import { Logo } from '../components/Layout';

export function NotFoundPage(props: { what?: string }) {
  return (
    <div class="center-page">
      <Logo />
      <div class="state empty">
        <div class="state-title">{props.what === 'app' ? 'No such app' : 'Page not found'}</div>
        <div class="state-text">
          {props.what === 'app' ? 'It may have been removed, or the link is mistyped. ' : 'Nothing lives at this address. '}
          <Link href="/">Go to your apps</Link>
        </div>
      </div>
    </div>
  );
}
