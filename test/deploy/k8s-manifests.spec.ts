import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '@edgefleet/config';

// The Kubernetes manifests are the documented production shape: checked here against the
// server's own configuration reader, so a renamed variable or a moved port fails this test.
const MANIFEST = join(__dirname, '..', '..', 'deploy', 'k8s', 'edgefleet.yaml');

interface Resource {
  kind: string;
  metadata: { name: string };
  [field: string]: any;
}

const resources: Resource[] = parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map((document) => {
  if (document.errors.length > 0) throw document.errors[0];
  return document.toJS() as Resource;
});

function only(kind: string): Resource {
  const found = resources.filter((resource) => resource.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

const deployment = only('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const containerPorts = new Map<string, number>(container.ports.map((port: { name: string; containerPort: number }) => [port.name, port.containerPort]));

/** The environment a pod of the Deployment starts with, its name filled in from the downward API. */
function podEnvironment(podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom) {
    const name = (source.configMapRef ?? source.secretRef).name;
    const resource = resources.find((r) => r.kind === (source.configMapRef ? 'ConfigMap' : 'Secret') && r.metadata.name === name);
    if (!resource) throw new Error(`envFrom names ${name}, which the file does not define`);
    Object.assign(env, resource.data ?? resource.stringData);
  }
  for (const variable of container.env) {
    if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[variable.name] = podName;
    else env[variable.name] = variable.value;
  }
  return env;
}

describe('deploy/k8s/edgefleet.yaml', () => {
  const env = podEnvironment('edgefleet-7c9d8b6f4-x2k8q');

  it('names only settings the server reads, and they pass its validation', () => {
    const read = new Set<string>();
    const recorded = new Proxy(env, {
      get(target, name) {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });
    const config = loadConfig(recorded);
    expect(Object.keys(env).filter((name) => !read.has(name))).toEqual([]);
    expect(config.cluster).toMatchObject({ nodeId: 'edgefleet-7c9d8b6f4-x2k8q', joined: true });
    expect(config.database.url).toMatch(/^postgresql:/);
  });

  it('listens on the pod address, on the ports the container and its probes declare', () => {
    const config = loadConfig(env);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.mqtt.host).toBe('0.0.0.0');
    expect(Object.fromEntries(containerPorts)).toEqual({
      http: config.http.port,
      mqtt: config.mqtt.port,
      'mqtt-ws': config.mqtt.wsPort,
      mqtts: config.mqtt.tls?.port,
    });
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(containerPorts.has(container.livenessProbe.tcpSocket.port)).toBe(true);
  });

  it('keeps the data dir on a ReadWriteMany volume mounted at FLEET_DATA_DIR', () => {
    const claim = only('PersistentVolumeClaim');
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    const volume = pod.volumes.find((v: any) => v.persistentVolumeClaim?.claimName === claim.metadata.name);
    const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount.mountPath).toBe(loadConfig(env).dataDir);
  });

  it('points every Service and the disruption budget at the Deployment\'s pods and ports', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    expect(only('PodDisruptionBudget').spec.selector.matchLabels).toEqual(labels);
    const services = resources.filter((resource) => resource.kind === 'Service');
    expect(services.map((service) => service.metadata.name).sort()).toEqual(['edgefleet-api', 'edgefleet-mqtt']);
    for (const service of services) {
      expect(service.spec.selector).toEqual(labels);
      for (const port of service.spec.ports) expect(containerPorts.get(port.targetPort)).toBe(port.port);
    }
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
  });
});
