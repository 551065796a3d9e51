import { describeConformance } from './describe-conformance.js';
import { clusterTarget, conformanceKind, kubeDevTarget } from './targets.js';

// Always against kube-dev. Against a real cluster too when JANGAR_CONFORMANCE_KUBECONFIG names a
// kubeconfig: that target exists only then (it is not a skipped test), so the same assertions
// show where kube-dev and Kubernetes part ways.
describeConformance(kubeDevTarget());

const kubeconfig = process.env.JANGAR_CONFORMANCE_KUBECONFIG;
if (kubeconfig) describeConformance(clusterTarget(kubeconfig, [conformanceKind('AgentRun')]));
