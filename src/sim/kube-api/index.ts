// The embedded Kubernetes API of the local llm-d stack (../shared/DESIGN.md, "The embedded local stack").
//
//   createCluster(options) → SimCluster
//     namespace `llm-d` with Deployment `llama-decode` (labels app, llm-d.ai/role=decode) → ReplicaSet
//     `<deploy>-<hash>` → `replicas` pods `<rs>-<5 chars>`, each backed by `podFactory({name, namespace, port?})`
//     (the stack passes startVllmPod; tests pass something light). The pod's containerPort and podIP
//     (127.0.0.1) say where its server listens. Pods go Pending → Running → Ready after `readyDelayMs`.
//     cluster.readyEndpoints()        EndpointSource for the gateway: Ready, non-terminating pods by name
//     cluster.whenReady(timeoutMs)    resolves when every replica is updated and Ready, nothing else left
//     cluster.deletePod(name, opts)   what DELETE does: Terminating, server closed, replaced (new name, uid)
//     cluster.rolloutRestart(at?)     what `kubectl rollout restart` does: new ReplicaSet, rolling replacement
//     cluster.killPod(name)           fault: container crash, same pod, restartCount + 1, fresh server
//     cluster.dropWatches()           fault: cut every open watch stream (clients re-watch)
//     cluster.failNextRequests(n, code)  fault: the next n resource requests answer `code` with a Status
//     cluster.podHandle(name), cluster.store (objects + events), cluster.close()
//
//   startKubeApi({ cluster, host?, port?, tls?, rbac?, kubernetesMinor?, logger?, faults? }) → { url, port, certificate?, close() }
//     discovery (legacy + aggregated v2), pods list/get/watch/delete with label and field selectors and
//     Table output, pods/NAME[:PORT]/proxy/PATH, deployments get/list/watch/patch and /scale, replicasets,
//     statefulsets (always empty), namespaces,
//     selfsubjectaccessreviews (JSON and protobuf), pods/NAME/log (cluster.podLogs), and the kinds kept as
//     sent (objects.ts: serviceaccounts, configmaps, secrets, services, roles, rolebindings, clusterroles,
//     clusterrolebindings, tekton.dev/v1 tasks, pipelines, pipelineruns, taskruns) with create, update,
//     patch (`kubectl apply`), delete and garbage collection by ownerReferences; kubectl ≥ 1.32's protobuf
//     creates of the built-in ones; minimal OpenAPI v3, Status bodies as the apiserver writes them.
//     `tls: true` serves HTTPS with a self-signed certificate (openssl CLI); `rbac` turns on bearer tokens +
//     RBAC (use with tls: kubectl sends no token over http); bindRbacToStore(rbac, store) makes it enforce
//     the Roles and RoleBindings created through the API.
//
//   new Rbac() .grant(token, 'ns:serviceaccount', rules, namespace?) .load(roleYaml) .addToken(token, user)
//   writeKubeconfig(path, serverUrl, token?, { namespace? })   kubeconfig with insecure-skip-tls-verify: true
//   startLightPod({ name, namespace, port? })   a podFactory without a model: /health, /metrics, POSTs counted
export { createCluster, SimCluster, DECODE_LABELS, type ClusterOptions, type PodFactory } from './cluster.ts';
export { startKubeApi, type KubeApiOptions, type KubeApiServer } from './server.ts';
export {
  bindRbacToStore,
  Rbac,
  RbacError,
  serviceAccountUser,
  type PolicyRule,
  type UserInfo,
} from './rbac.ts';
export { GATEWAY_SERVICE, putService } from './services.ts';
export { writeKubeconfig, kubeconfigYaml, type KubeconfigOptions } from './kubeconfig.ts';
export { selfSignedCertificate, type CertificatePair } from './tls.ts';
export { startLightPod, type LightPodHandle } from './light-pod.ts';
export type { KubeObject, StoreEvent } from './store.ts';
