// `@fovea/browser/react`: an error boundary that reports what it catches.
// The build turns the core's import into `@fovea/browser` (scripts/build.mjs),
// so the app's bundler keeps one copy of the SDK; React is the app's (a peer
// dependency).
import { addError } from './index.js';
import { Component, type ErrorInfo, type ReactNode } from 'react';

export interface ErrorBoundaryProps {
  children?: ReactNode;
  /** Shown instead of the children once they threw: a node, or `(error, reset) => node` (`reset` renders the children again). */
  fallback?: ReactNode | ((error: unknown, reset: () => void) => ReactNode);
  /** Called after the error was reported, with React's component stack. */
  onError?: (error: unknown, componentStack: string | undefined) => void;
}

interface State {
  /** a flag beside the error: a component may throw `null` or `undefined` */
  failed: boolean;
  error?: unknown;
}

/**
 * Catches errors thrown while rendering its children (and in their lifecycle
 * methods and constructors), reports each with `addError` (`source: 'custom'`,
 * `handled: true`, `attrs.framework = 'react'`, `attrs.componentStack`) and
 * renders `fallback`. Event handlers and async code are outside React's
 * boundaries: the core's global handlers see those.
 */
export class ErrorBoundary extends Component<ErrorBoundaryProps, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(error: unknown): State {
    return { failed: true, error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    const componentStack = info.componentStack || undefined;
    addError(error, { framework: 'react', componentStack });
    this.props.onError?.(error, componentStack);
  }

  reset = (): void => this.setState({ failed: false, error: undefined });

  override render(): ReactNode {
    const { fallback, children } = this.props;
    if (!this.state.failed) return children;
    return typeof fallback == 'function' ? fallback(this.state.error, this.reset) : (fallback ?? null);
  }
}
