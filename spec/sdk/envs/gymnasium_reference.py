#!/usr/bin/env python3
"""Independent reference values for spec/sdk/envs/*.spec.ts.

A straight-line transcription, in plain Python floats (no numpy, no gymnasium), of the step
functions of Gymnasium's classic-control environments:

  gymnasium/envs/classic_control/cartpole.py                 (CartPoleEnv.step, 'euler' kinematics)
  gymnasium/envs/classic_control/acrobot.py                  (AcrobotEnv.step, _dsdt 'book', rk4, wrap, bound)
  gymnasium/envs/classic_control/mountain_car.py             (MountainCarEnv.step)
  gymnasium/envs/classic_control/continuous_mountain_car.py  (Continuous_MountainCarEnv.step)
  gymnasium/envs/classic_control/pendulum.py                 (PendulumEnv.step, angle_normalize)

Arithmetic is float64 (Python floats, i.e. NumPy 1.x promotion), float32 appears only where
Gymnasium casts explicitly: every observation (np.array(..., dtype=np.float32)) and
MountainCarContinuous's stored state (self.state = np.array([position, velocity], dtype=np.float32)).

Run:  python3 spec/sdk/envs/gymnasium_reference.py > spec/sdk/envs/expected_values.ts
The output is committed; the specs import it. Keep this script and that file in sync.
"""
import math
import struct


def f32(x):
    """Round a float64 to the nearest float32 (what np.float32(x) does)."""
    return struct.unpack('<f', struct.pack('<f', x))[0]


# ----------------------------------------------------------------------------- CartPole-v1
def cartpole_step(s, action):
    x, x_dot, theta, theta_dot = s
    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4
    force = force_mag if action == 1 else -force_mag
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * costheta**2 / total_mass))
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x = x + tau * x_dot
    x_dot = x_dot + tau * xacc
    theta = theta + tau * theta_dot
    theta_dot = theta_dot + tau * thetaacc
    ns = [x, x_dot, theta, theta_dot]
    terminated = (x < -x_threshold or x > x_threshold
                  or theta < -theta_threshold_radians or theta > theta_threshold_radians)
    obs = [f32(v) for v in ns]
    return ns, obs, 1.0, terminated


# ----------------------------------------------------------------------------- Acrobot-v1
def acrobot_dsdt(sa):
    m1 = 1.0
    m2 = 1.0
    l1 = 1.0
    lc1 = 0.5
    lc2 = 0.5
    I1 = 1.0
    I2 = 1.0
    g = 9.8
    a = sa[-1]
    theta1, theta2, dtheta1, dtheta2 = sa[0], sa[1], sa[2], sa[3]
    pi = math.pi
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + I2
    phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - pi / 2.0)
    phi1 = (-m2 * l1 * lc2 * dtheta2**2 * math.sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - pi / 2)
            + phi2)
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * math.sin(theta2) - phi2) / (
        m2 * lc2**2 + I2 - d2**2 / d1)
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0]


def rk4_one_interval(y0, t0, t1):
    dt = t1 - t0
    dt2 = dt / 2.0
    k1 = acrobot_dsdt(y0)
    k2 = acrobot_dsdt([y + dt2 * k for y, k in zip(y0, k1)])
    k3 = acrobot_dsdt([y + dt2 * k for y, k in zip(y0, k2)])
    k4 = acrobot_dsdt([y + dt * k for y, k in zip(y0, k3)])
    return [y + dt / 6.0 * (a + 2 * b + 2 * c + d) for y, a, b, c, d in zip(y0, k1, k2, k3, k4)][:4]


def wrap(x, m, M):
    diff = M - m
    while x > M:
        x = x - diff
    while x < m:
        x = x + diff
    return x


def bound(x, m, M):
    return min(max(x, m), M)


def acrobot_step(s, action):
    torque = [-1.0, 0.0, +1][action]
    ns = rk4_one_interval(list(s) + [torque], 0, 0.2)
    ns[0] = wrap(ns[0], -math.pi, math.pi)
    ns[1] = wrap(ns[1], -math.pi, math.pi)
    ns[2] = bound(ns[2], -4 * math.pi, 4 * math.pi)
    ns[3] = bound(ns[3], -9 * math.pi, 9 * math.pi)
    terminated = -math.cos(ns[0]) - math.cos(ns[1] + ns[0]) > 1.0
    reward = -1.0 if not terminated else 0.0
    obs = [f32(v) for v in [math.cos(ns[0]), math.sin(ns[0]), math.cos(ns[1]), math.sin(ns[1]), ns[2], ns[3]]]
    return ns, obs, reward, terminated


# ----------------------------------------------------------------------------- MountainCar-v0
def mountaincar_step(s, action):
    min_position = -1.2
    max_position = 0.6
    max_speed = 0.07
    goal_position = 0.5
    goal_velocity = 0
    force = 0.001
    gravity = 0.0025
    position, velocity = s
    velocity += (action - 1) * force + math.cos(3 * position) * (-gravity)
    velocity = min(max(velocity, -max_speed), max_speed)       # np.clip
    position += velocity
    position = min(max(position, min_position), max_position)  # np.clip
    if position == min_position and velocity < 0:
        velocity = 0.0
    terminated = position >= goal_position and velocity >= goal_velocity
    ns = [position, velocity]
    return ns, [f32(v) for v in ns], -1.0, terminated


# ----------------------------------------------------------------------------- MountainCarContinuous-v0
def mcc_step(s, action0):
    min_action = -1.0
    max_action = 1.0
    min_position = -1.2
    max_position = 0.6
    max_speed = 0.07
    goal_position = 0.45
    goal_velocity = 0
    power = 0.0015
    position, velocity = s
    force = min(max(action0, min_action), max_action)
    velocity += force * power - 0.0025 * math.cos(3 * position)
    if velocity > max_speed:
        velocity = max_speed
    if velocity < -max_speed:
        velocity = -max_speed
    position += velocity
    if position > max_position:
        position = max_position
    if position < min_position:
        position = min_position
    if position == min_position and velocity < 0:
        velocity = 0.0
    terminated = position >= goal_position and velocity >= goal_velocity
    reward = 0.0
    if terminated:
        reward = 100.0
    reward -= math.pow(action0, 2) * 0.1
    ns = [f32(position), f32(velocity)]   # self.state = np.array([...], dtype=np.float32)
    return ns, list(ns), reward, terminated


# ----------------------------------------------------------------------------- Pendulum-v1
def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi   # Python % == np.mod (sign of divisor)


def pendulum_step(s, action0, g=10.0):
    max_speed = 8
    max_torque = 2.0
    dt = 0.05
    m = 1.0
    l = 1.0
    th, thdot = s
    u = min(max(action0, -max_torque), max_torque)         # np.clip(u, -2, 2)[0]
    costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2)
    newthdot = thdot + (3 * g / (2 * l) * math.sin(th) + 3.0 / (m * l**2) * u) * dt
    newthdot = min(max(newthdot, -max_speed), max_speed)  # np.clip
    newth = th + newthdot * dt
    ns = [newth, newthdot]
    obs = [f32(math.cos(newth)), f32(math.sin(newth)), f32(newthdot)]
    return ns, obs, -costs, False


# ----------------------------------------------------------------------------- scenarios
def run(step, state, actions, **kw):
    s = list(state)
    out = {'states': [], 'obs': [], 'rewards': [], 'terminated': []}
    for a in actions:
        s, obs, r, term = step(s, a, **kw)
        out['states'].append(list(s))
        out['obs'].append(list(obs))
        out['rewards'].append(r)
        out['terminated'].append(bool(term))
    return {'start': list(state), 'actions': list(actions), **out}


SCENARIOS = {
    'cartpole': {
        'traj': run(cartpole_step, [0.01, -0.02, 0.03, 0.04], [1, 0, 0, 1, 1, 1, 0, 1, 0, 0]),
        'fallTheta': run(cartpole_step, [0.0, 0.0, 0.2, 0.5], [1]),
        'justInside': run(cartpole_step, [0.0, 0.0, 0.2, 0.4], [1]),
        'fallX': run(cartpole_step, [2.39, 1.0, 0.0, 0.0], [1]),
    },
    'acrobot': {
        'traj': run(acrobot_step, [0.05, -0.03, 0.02, 0.01], [2, 0, 1, 2, 2, 0, 0, 1, 2, 0]),
        'terminal': run(acrobot_step, [3.0, 0.0, 0.0, 0.0], [1]),
        'wrap': run(acrobot_step, [3.1, 0.0, 2.0, 0.0], [1]),
        'boundVel1': run(acrobot_step, [0.0, 0.0, 20.0, 0.0], [1]),
        'boundVel2': run(acrobot_step, [0.0, 0.0, 0.0, 40.0], [1]),
    },
    'mountaincar': {
        'traj': run(mountaincar_step, [-0.5, 0.0], [2, 2, 0, 0, 1, 2, 0, 2, 2, 1]),
        'velClip': run(mountaincar_step, [-0.5236, 0.0695], [2]),
        'leftWall': run(mountaincar_step, [-1.19, -0.05], [0]),
        'goal': run(mountaincar_step, [0.49, 0.02], [2]),
        'valley200': run(mountaincar_step, [-0.5, 0.0], [1] * 200),
    },
    'mcc': {
        'traj': run(mcc_step, [-0.5, 0.0], [0.3, -1.0, 1.0, 0.5, -0.2, 2.5, -3.0, 0.0, 0.7, -0.9]),
        'action3': run(mcc_step, [-0.5, 0.01], [3.0]),
        'action1': run(mcc_step, [-0.5, 0.01], [1.0]),
        'goal': run(mcc_step, [0.44, 0.02], [0.5]),
        'leftWall': run(mcc_step, [-1.19, -0.05], [-1.0]),
        'velClip': run(mcc_step, [-0.5236, 0.0695], [1.0]),
    },
    'pendulum': {
        'traj': run(pendulum_step, [0.5, -0.3], [1.0, -2.0, 0.5, 5.0, -5.0, 0.0, 1.5, -0.7, 2.0, -1.0]),
        'torque5': run(pendulum_step, [1.0, 0.5], [5.0]),
        'torque2': run(pendulum_step, [1.0, 0.5], [2.0]),
        'velClip': run(pendulum_step, [math.pi / 2, 7.9], [2.0]),
        'normalizePos': run(pendulum_step, [7.0, 0.0], [0.0]),
        'normalizeNeg': run(pendulum_step, [-4.0, 1.0], [0.0]),
        'g981': run(pendulum_step, [0.5, -0.3], [1.0], g=9.81),
    },
}

# Trim the 200-step valley run to what the spec needs: the last state and "never terminated".
vc = SCENARIOS['mountaincar']['valley200']
SCENARIOS['mountaincar']['valley200'] = {
    'start': vc['start'], 'anyTerminated': any(vc['terminated']), 'finalState': vc['states'][-1],
}


def ts(v, indent=0):
    pad = '  ' * indent
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return '[' + ', '.join(ts(x) for x in v) + ']'
    if isinstance(v, dict):
        items = [f'{pad}  {k}: {ts(x, indent + 1)},' for k, x in v.items()]
        return '{\n' + '\n'.join(items) + f'\n{pad}}}'
    raise TypeError(type(v))


print('// GENERATED by spec/sdk/envs/gymnasium_reference.py -- do not edit by hand.')
print('// Values from a plain-Python transcription of Gymnasium\'s classic-control step functions.')
print('/* eslint-disable */')
print('')
print('export interface Trajectory {')
print('  start: number[];')
print('  actions: number[];')
print('  states: number[][];')
print('  obs: number[][];')
print('  rewards: number[];')
print('  terminated: boolean[];')
print('}')
print('')
for env, scen in SCENARIOS.items():
    for name, val in scen.items():
        typ = ': Trajectory' if 'states' in val else ''
        print(f'export const {env}_{name}{typ} = {ts(val)};')
        print('')
